"""The channel contract: every messenger turns its payloads into one neutral event,
and sends one neutral message."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


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
    # A button press: (step version the keyboard was drawn for, choice key).
    choice: tuple[int, str] | None = None
    attachment: Attachment | None = None


@dataclass(frozen=True)
class Option:
    key: str
    label: str


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

    def to_payload(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "choices": [[o.key, o.label] for o in self.choices],
            "version": self.version,
            "multi": self.multi,
            "actions": [[o.key, o.label] for o in self.actions],
            "number_hint": self.number_hint,
            "footer": self.footer,
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
        )


@dataclass(frozen=True)
class SendResult:
    status: Literal["sent", "retry", "unreachable", "failed"]
    retry_after: float | None = None
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


SENT = SendResult("sent")


class Channel(Protocol):
    name: str

    async def send(self, address: str, message: OutboundMessage) -> SendResult: ...
