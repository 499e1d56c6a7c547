"""A messenger held in memory: a channel adapter and, on the same object, its users.

It exists to show that a channel is one adapter file: the contract suite
(tests/channels/test_contract.py) runs it beside the console, Telegram and Zalo. It draws
buttons, refuses what a messenger refuses when told to, and keeps what each user received,
split at its own (small) limit. It is not wired into `tinhhinh run`.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass

from bot.channels.base import (
    SENT,
    Attachment,
    Capabilities,
    Handled,
    InboundEvent,
    InboundSink,
    OutboundMessage,
    Quiet,
    SendResult,
    split_lines,
)

NAME = "memory"
# Small on purpose: long cards and digests are split at this limit.
MAX_TEXT = 600
CAPABILITIES = Capabilities(
    title="Memory", max_text=MAX_TEXT, choices="buttons", buttons=True, files_out=True,
    photos_out=True, attachments_in=frozenset({"photo", "document"}),
)


@dataclass(frozen=True)
class Delivered:
    """One message as a user of the memory messenger sees it."""

    text: str
    # (label, key the press sends): the choices and navigation drawn as buttons.
    buttons: tuple[tuple[str, str], ...] = ()
    version: int | None = None
    file: str | None = None  # "photo:name" or "document:name"


class MemoryChannel(Quiet):
    name = NAME
    capabilities = CAPABILITIES

    def __init__(self) -> None:
        self.inbound: InboundSink | None = None  # the app's inbound path, set after build
        self.received: dict[str, list[Delivered]] = defaultdict(list)
        self._refusals: dict[str, list[SendResult]] = defaultdict(list)
        self._ids = itertools.count(1)

    # -- the adapter ----------------------------------------------------------------------------
    def parts(self, message: OutboundMessage) -> int:
        return len(self._layout(message))

    def _layout(self, message: OutboundMessage) -> list[Delivered]:
        """A file carries a short text as its caption; a long text follows it in parts."""
        buttons = tuple((o.label, o.key) for o in (*message.choices, *message.actions))
        text = message.text
        found: list[Delivered] = []
        if message.file is not None:
            caption = len(text) <= MAX_TEXT and not buttons
            found.append(Delivered(text if caption else "",
                                   file=f"{message.file.kind}:{message.file.name}"))
            text = "" if caption else text
        lines = split_lines(text, MAX_TEXT) if text else []
        found += [Delivered(line, buttons if i == len(lines) - 1 else (), message.version)
                  for i, line in enumerate(lines)]
        return found

    async def send(self, address: str, message: OutboundMessage) -> SendResult:
        if self._refusals[address]:
            return self._refusals[address].pop(0)
        self.received[address] += self._layout(message)
        return SENT

    # -- its users --------------------------------------------------------------------------------
    def refuse(self, address: str, result: SendResult) -> None:
        """Answer the next send to ``address`` with ``result`` (a 429, a block...)."""
        self._refusals[address].append(result)

    def says(self, user: str, text: str) -> InboundEvent:
        return self._event(user, text=text)

    def presses(self, user: str, version: int, key: str) -> InboundEvent:
        return self._event(user, choice=(version, key))

    def attaches(self, user: str, kind: str, name: str, size: int) -> InboundEvent:
        return self._event(user, attachment=Attachment(kind, f"memory:{name}", size, name))

    async def deliver(self, event: InboundEvent) -> Handled:
        assert self.inbound is not None, "set the channel's inbound path first"
        return await self.inbound.handle(event)

    def _event(self, user: str, **content: object) -> InboundEvent:
        return InboundEvent(channel=NAME, event_id=f"m{next(self._ids)}", sender_id=user,
                            chat_id=user, display_name=user, **content)  # type: ignore[arg-type]
