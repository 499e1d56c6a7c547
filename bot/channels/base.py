"""The channel contract: every messenger turns its payloads into one neutral event,
and sends one neutral message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from bot.engine.form import ATTACHMENT_KINDS
from bot.engine.registry import Registry
from bot.ratelimit import Limits, NoLimits


@dataclass(frozen=True)
class Attachment:
    kind: str  # photo, document, voice, video, location
    ref: str
    size: int = 0
    name: str | None = None
    mime: str | None = None


@dataclass(frozen=True)
class InboundEvent:
    channel: str
    event_id: str  # unique per channel; repeats are dropped
    sender_id: str
    chat_id: str
    display_name: str = ""
    text: str | None = None
    # A button press: (step version the keyboard was drawn for, choice key). Navigation
    # buttons carry their action name after "!" ("!back").
    choice: tuple[int, str] | None = None
    attachment: Attachment | None = None
    # Something the bot cannot take (a sticker, a voice note where none is asked...).
    unsupported: str | None = None
    # A reply code pressed as a button ("TN 12"): the same grammar as typed codes.
    code: str | None = None


@dataclass(frozen=True)
class Option:
    key: str
    label: str


@dataclass(frozen=True)
class OutboundFile:
    """A file that goes with a message (a chart as a photo, an export as a document).

    The bytes live in the database (``stored_file``) so the outbox row stays small; the
    delivery worker loads them just before the send.
    """

    file_id: int
    kind: Literal["photo", "document"]
    name: str
    data: bytes | None = None

    def to_payload(self) -> dict[str, Any]:
        return {"id": self.file_id, "kind": self.kind, "name": self.name}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> OutboundFile:
        return cls(int(data["id"]), data["kind"], str(data["name"]))


@dataclass(frozen=True)
class WebLink:
    """A link to the bot's web pages: a URL button where the messenger has them and the
    address is https, else a line under the text. With ``path`` and no ``url`` yet, the
    delivery worker makes the one-time sign-in link as the message leaves (a reminder planned
    for many units makes no link until it is sent)."""

    url: str
    label: str
    path: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return {"url": self.url, "label": self.label, "path": self.path}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> WebLink:
        return cls(str(data.get("url") or ""), str(data["label"]), data.get("path"))


@dataclass(frozen=True)
class OutboundMessage:
    """What to show, before channel layout: Telegram draws buttons, text channels number."""

    text: str
    choices: tuple[Option, ...] = ()
    # Step version the choices belong to (carried in callback data).
    version: int | None = None
    multi: bool = False
    # Navigation (back, skip, done, cancel): buttons on Telegram, typed words elsewhere.
    actions: tuple[Option, ...] = ()
    # For text-only channels: how to answer by number, and which words navigate.
    number_hint: str | None = None
    footer: str | None = None
    # Choices already picked in a multi-choice question.
    selected: tuple[str, ...] = ()
    # The messenger account the buttons belong to; a press by anyone else is refused.
    owner: str | None = None
    # Actions on something (an incident...): buttons on Telegram whose key is the reply code
    # ("TN 12"); text channels show ``code_hint`` instead, which spells the codes out.
    codes: tuple[Option, ...] = ()
    code_hint: str | None = None
    # Channels that cannot send files (Zalo) send the text alone, with ``file_link`` where
    # there is one (an address that opens the same file on the web pages).
    file: OutboundFile | None = None
    link: WebLink | None = None
    file_link: WebLink | None = None
    # Photos at public, signed addresses (a report's photos in an alert), for messengers
    # that send a photo by its URL (Zalo's sendPhoto); others read the text's count.
    photos: tuple[str, ...] = ()

    def to_payload(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"file": self.file.to_payload()} if self.file is not None \
            else {}
        if self.link is not None:
            extra["link"] = self.link.to_payload()
        if self.file_link is not None:
            extra["file_link"] = self.file_link.to_payload()
        if self.photos:
            extra["photos"] = list(self.photos)
        return {**extra,
            "text": self.text,
            "choices": [[o.key, o.label] for o in self.choices],
            "version": self.version,
            "multi": self.multi,
            "actions": [[o.key, o.label] for o in self.actions],
            "number_hint": self.number_hint,
            "footer": self.footer,
            "selected": list(self.selected),
            "owner": self.owner,
            "codes": [[o.key, o.label] for o in self.codes],
            "code_hint": self.code_hint,
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> OutboundMessage:
        return cls(
            text=data["text"],
            choices=tuple(Option(k, v) for k, v in data.get("choices", [])),
            version=data.get("version"),
            multi=bool(data.get("multi", False)),
            actions=tuple(Option(k, v) for k, v in data.get("actions", [])),
            number_hint=data.get("number_hint"),
            footer=data.get("footer"),
            selected=tuple(data.get("selected", ())),
            owner=data.get("owner"),
            codes=tuple(Option(k, v) for k, v in data.get("codes", [])),
            code_hint=data.get("code_hint"),
            file=OutboundFile.from_payload(data["file"]) if data.get("file") else None,
            link=WebLink.from_payload(data["link"]) if data.get("link") else None,
            file_link=WebLink.from_payload(data["file_link"]) if data.get("file_link")
            else None,
            photos=tuple(data.get("photos") or ()),
        )

    @property
    def plain(self) -> bool:
        """Nothing to press or answer: it can be merged into the message that follows."""
        return (not self.choices and not self.actions and not self.number_hint
                and not self.codes and self.file is None and self.link is None
                and self.file_link is None and not self.photos)


@dataclass(frozen=True)
class Handled:
    """What became of one event, for the channel adapter's acknowledgement."""

    applied: bool  # False: a repeat of an event already applied, dropped
    # A short answer to a button press that changed nothing (an old keyboard, say).
    notice: str | None = None

    def __bool__(self) -> bool:
        return self.applied

    @property
    def accepted(self) -> bool:
        """The event was applied and was not refused with a notice."""
        return self.applied and self.notice is None


DUPLICATE = Handled(False)


class InboundSink(Protocol):
    """Where adapters hand events (handlers.conversation.inbound.InboundHandler)."""

    async def handle(self, event: InboundEvent) -> Handled: ...

    async def handle_or_set_aside(self, event: InboundEvent, body: str) -> Handled:
        """``handle``, but an event that keeps failing while the database works is recorded
        as failed with ``body`` (the update as received) and counts as handled."""
        ...


ACTION_PREFIX = "!"
# A button whose key is a reply code ("=TN 12") rather than a choice of the current question.
CODE_PREFIX = "="


@dataclass(frozen=True)
class SendResult:
    # quota: the messenger's monthly allowance is spent (Zalo 429); the row is parked or
    # sent through the person's other messenger.
    # dropped: over a bound set for strangers or bursts (bot.quota); not sent, ever.
    status: Literal["sent", "retry", "unreachable", "failed", "quota", "dropped"]
    retry_after: float | None = None
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


SENT = SendResult("sent")


@dataclass(frozen=True)
class Capabilities:
    """What a messenger can do. Use cases ask this ("can this person receive a file?"),
    never the channel's name, so a new channel is its adapter and one line in bot/app.py."""

    title: str  # how people call the messenger in a message ("Zalo", "Telegram")
    max_text: int  # longer texts go as several messages
    # How a question's choices show: pressed as buttons, or numbered and typed.
    choices: Literal["buttons", "numbered"] = "numbered"
    buttons: bool = False
    edits: bool = False  # an answered question can be edited to show the answer
    files_out: bool = False
    photos_out: bool = False
    # Sends a photo given by its public URL (Zalo's sendPhoto takes nothing else).
    photo_urls: bool = False
    # A phone messenger: a link in a message opens the phone's browser, so the bot offers
    # its web pages there ("fill on the phone"); a terminal gets them only when it asks.
    opens_links: bool = False
    # The attachment kinds the messenger delivers to the bot (Zalo: photos only).
    attachments_in: frozenset[str] = frozenset()
    groups: bool = False

    @property
    def photos_in(self) -> bool:
        return "photo" in self.attachments_in

    @property
    def files_in(self) -> bool:
        return "document" in self.attachments_in

    @property
    def voice(self) -> bool:
        return "voice" in self.attachments_in


class Runner(Protocol):
    """The service, as an adapter sees it when it starts."""

    def until_done(self, what: str, action: Callable[[], Awaitable[object]]) -> None:
        """Run ``action`` once, retrying until it succeeds (the network may be down)."""

    def forever(self, action: Callable[[], Coroutine[object, None, object]]) -> None:
        """Run ``action`` until the service stops (polling, an inbox)."""


class ChannelAdapter(Protocol):
    """One messenger (or one bot of it): how it sends, what it can do, how it runs."""

    @property
    def name(self) -> str: ...

    async def send(self, address: str, message: OutboundMessage) -> SendResult: ...

    @property
    def capabilities(self) -> Capabilities: ...

    @property
    def limits(self) -> Limits: ...

    def parts(self, message: OutboundMessage) -> int:
        """How many messages ``message`` becomes (a quota counts each)."""
        ...

    async def publish_menu(self) -> None:
        """Publish the commands menu where the messenger has one."""
        ...

    def start(self, runner: Runner) -> None:
        """Start receiving: polling, an inbox, a webhook registration."""
        ...

    async def stop(self) -> None:
        """Stop receiving; what was received is kept (called before the server stops)."""
        ...

    async def close(self) -> None:
        """Release clients and sessions (the app's close)."""
        ...


class Quiet:
    """Defaults for an adapter with nothing to start, publish or close, and no pace."""

    limits: Limits = NoLimits()

    def parts(self, message: OutboundMessage) -> int:
        return 1

    async def publish_menu(self) -> None:
        return None

    def start(self, runner: Runner) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def close(self) -> None:
        return None


class Channels(Registry[str, ChannelAdapter]):
    """The running adapters by name ("telegram", "zalo.hg"): one per name, refused twice."""

    def __init__(self) -> None:
        super().__init__("channel")

    def capabilities(self, channel: str) -> Capabilities:
        """A running channel's capabilities. A channel not running now sends nothing; what
        arrives from it (a test feeding events) is taken as it comes."""
        adapter = self.get(channel)
        if adapter is not None:
            return adapter.capabilities
        return Capabilities(title=channel.split(".", 1)[0].capitalize(), max_text=0,
                            attachments_in=ATTACHMENT_KINDS)

    def names(self, can: Callable[[Capabilities], bool]) -> list[str]:
        """The running channels that can do something ("receive a file")."""
        return [name for name, a in self.items() if can(a.capabilities)]


class ChannelBook(Protocol):
    """What use cases may know of the channels: capabilities by name, never the names."""

    def capabilities(self, channel: str) -> Capabilities: ...

    def names(self, can: Callable[[Capabilities], bool]) -> list[str]: ...


def render_text(message: OutboundMessage) -> str:
    """Plain-text layout for channels without buttons: choices numbered, hints below."""
    lines = [message.text]
    if message.choices:
        lines.extend(f"  {i}. {o.label}" for i, o in enumerate(message.choices, 1))
    for hint in (message.number_hint, message.footer, message.code_hint):
        if hint:
            lines.append(hint)
    for link in (message.file_link, message.link):
        if link is not None and link.url:
            lines.append(f"{link.label}: {link.url}")
    return "\n".join(lines)


def split_lines(text: str, limit: int) -> list[str]:
    """Split a text longer than a messenger allows on line boundaries (an over-long line is
    cut), so a long confirmation card arrives as several readable messages."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        parts.append(current)
    return [p for p in parts if p.strip()]
