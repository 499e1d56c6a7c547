"""One simulated user per channel, driving the real adapter through its real inbound path.

The contract suite (test_contract.py) asks these harnesses the same things: say a line,
press a button, send a photo, deliver an update twice, read what arrived, make the
messenger refuse. Console and memory run in the process; Telegram talks to the Bot API peer
(telegram_peer/runner.mjs) and Zalo to its peer (tests/e2e/zalo_peer.py), both on loopback.
A new channel is its adapter and one entry in ``HARNESSES``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from aiogram.types import Update

from bot.app import App, build_app
from bot.channels.base import Capabilities, ChannelAdapter, InboundEvent
from bot.channels.console import ConsoleChannel, ConsoleInput
from bot.channels.memory import MemoryChannel
from bot.clock import SystemClock
from bot.config import Settings
from tests.e2e.peer import Peer, TgUser
from tests.e2e.zalo_peer import ZaloPeer, ZaloUser
from tests.helpers import invite, seed

# A 1×1 PNG, enough for a messenger to call it a photo.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@dataclass(frozen=True)
class Seen:
    """One message as the user saw it."""

    text: str
    buttons: tuple[str, ...] = ()  # labels
    file: str | None = None  # the file's name


class Harness(Protocol):
    app: App
    address: str  # where the bot writes to this user

    @property
    def adapter(self) -> ChannelAdapter: ...

    @property
    def capabilities(self) -> Capabilities: ...

    async def say(self, text: str) -> None: ...

    async def press(self, label: str) -> None:
        """Press the button of the last message whose label ends with ``label``."""

    async def photo(self) -> None: ...

    async def say_twice(self, text: str) -> None:
        """The same update delivered twice (a redelivery after a lost acknowledgement)."""

    async def seen(self) -> list[Seen]: ...

    def refusals(self) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
        """Ways the messenger refuses the next send, each with the delivery result it
        must become (retry, unreachable, quota)."""


class _Base:
    app: App
    address: str
    name: str

    @property
    def adapter(self) -> ChannelAdapter:
        return self.app.channels[self.name]

    @property
    def capabilities(self) -> Capabilities:
        return self.adapter.capabilities

    async def enrol(self) -> None:
        await seed(self.app)
        await self.say(await invite(self.app, "DEMO_CS1"))

    async def close(self) -> None:
        await self.app.close()


def _settings(url: str, tmp: Path, **extra: Any) -> Settings:
    return Settings(database_url=url, media_dir=tmp / "media", _env_file=None,  # type: ignore[call-arg]
                    **extra)


class _Writes(io.StringIO):
    """A terminal that keeps each message the console writes as one entry."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def write(self, text: str) -> int:
        self.messages.append(text)
        return len(text)


class ConsoleHarness(_Base):
    name = "console"

    def __init__(self, url: str, tmp: Path, peer: None = None) -> None:
        self.out = _Writes()
        self.app = build_app(_settings(url, tmp), clock=SystemClock(),
                             channels=[ConsoleChannel(self.out)])
        self.address = "chu_tich"
        self.input = ConsoleInput(self.address)
        self.tmp = tmp

    async def _feed(self, *events: InboundEvent) -> None:
        for event in events:
            await self.app.inbound.handle(event)
        await self.app.delivery.drain()

    async def say(self, text: str) -> None:
        await self._feed(self.input.event(text))

    async def press(self, label: str) -> None:
        raise AssertionError("the console has no buttons")

    async def photo(self) -> None:
        path = self.tmp / "hien_truong.png"
        path.write_bytes(PNG)
        await self._feed(self.input.event(f"@{path}"))

    async def say_twice(self, text: str) -> None:
        event = self.input.event(text)
        await self._feed(event, event)

    async def seen(self) -> list[Seen]:
        found = []
        for block in self.out.messages:
            text, _, name = block.removesuffix("\n\n").partition("\n📎 ")
            found.append(Seen(text, file=name or None))
        return found

    def refusals(self) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
        return []  # a terminal takes every message


class InProcess(_Base):
    """A channel that carries its users itself (bot/channels/memory.py): the harness only
    wires it to an app."""

    def __init__(self, channel: MemoryChannel, url: str, tmp: Path) -> None:
        self.channel = channel
        self.name = channel.name
        self.app = build_app(_settings(url, tmp), clock=SystemClock(), channels=[channel])
        self.channel.inbound = self.app.inbound
        self.address = "m-user"

    async def _feed(self, *events: InboundEvent) -> None:
        for event in events:
            await self.channel.deliver(event)
        await self.app.delivery.drain()

    async def say(self, text: str) -> None:
        await self._feed(self.channel.says(self.address, text))

    async def press(self, label: str) -> None:
        last = self.channel.received[self.address][-1]
        key = next(k for text, k in last.buttons if text.endswith(label))
        assert last.version is not None
        await self._feed(self.channel.presses(self.address, last.version, key))

    async def photo(self) -> None:
        await self._feed(self.channel.attaches(self.address, "photo", "hien_truong.png",
                                               len(PNG)))

    async def say_twice(self, text: str) -> None:
        event = self.channel.says(self.address, text)
        await self._feed(event, event)

    async def seen(self) -> list[Seen]:
        return [Seen(d.text, tuple(label for label, _ in d.buttons),
                     d.file.split(":", 1)[1] if d.file else None)
                for d in self.channel.received[self.address]]

    def refusals(self) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
        from bot.channels.base import SendResult

        async def busy() -> None:
            self.channel.refuse(self.address, SendResult("retry", retry_after=0.1))

        async def gone() -> None:
            self.channel.refuse(self.address, SendResult("unreachable", reason="gone"))

        return [("retry", busy), ("unreachable", gone)]


class TelegramHarness(_Base):
    name = "telegram"

    def __init__(self, url: str, tmp: Path, peer: Peer) -> None:
        self.peer = peer
        self.app = build_app(_settings(
            url, tmp, telegram={"token": peer.token, "api_base": peer.api_base,
                                "poll_timeout": 1, "chat_interval_seconds": 0.01}),
            clock=SystemClock())
        self.user = TgUser(880001, "Lò Văn Minh")
        self.address = str(self.user.id)
        self._updates = 900000

    async def _handled(self) -> None:
        polling = self.app.telegram_polling
        assert polling is not None
        deadline = time.monotonic() + 10
        while await polling.poll_once() == 0:
            assert time.monotonic() < deadline, "the peer handed out no update"
        await self.app.delivery.drain()

    async def say(self, text: str) -> None:
        await self.peer.text(self.user, text)
        await self._handled()

    async def press(self, label: str) -> None:
        messages = await self.peer.chat(self.user.id)
        last = messages[-1]
        rows = (last.get("reply_markup") or {}).get("inline_keyboard", [])
        data = next(b["callback_data"] for row in rows for b in row
                    if b["text"].endswith(label))
        await self.peer.press(self.user, last, data)
        await self._handled()

    async def photo(self) -> None:
        await self.peer.send(self.user, photo=[{"file_id": "contract-photo",
                                                "file_unique_id": "cp1", "width": 1,
                                                "height": 1, "file_size": len(PNG)}])
        await self._handled()

    async def say_twice(self, text: str) -> None:
        telegram = self.app.telegram
        assert telegram is not None
        self._updates += 1
        data = {"update_id": self._updates, "message": {
            "message_id": self._updates, "date": int(time.time()), "text": text,
            "chat": self.user.chat, "from": self.user.as_from}}
        update = Update.model_validate(data, context={"bot": telegram.bot})
        await telegram.feed(update)
        await telegram.feed(update)
        await self.app.delivery.drain()

    async def seen(self) -> list[Seen]:
        files = {str(c["caption"] or ""): c["file"]["filename"]
                 for method in ("sendDocument", "sendPhoto")
                 for c in await self.peer.calls(method) if c["chat_id"] == self.address}
        found = []
        for m in await self.peer.chat(self.user.id):
            rows = (m.get("reply_markup") or {}).get("inline_keyboard", [])
            text = m.get("text") or ""
            found.append(Seen(text, tuple(b["text"] for row in rows for b in row),
                              files.get(text)))
        return found

    def refusals(self) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
        async def busy() -> None:
            await self.peer.fault("sendMessage", 429, "Too Many Requests: retry after 1",
                                  retry_after=1)

        async def blocked() -> None:
            await self.peer.fault("sendMessage", 403, "Forbidden: bot was blocked by the user")

        return [("retry", busy), ("unreachable", blocked)]


class ZaloHarness(_Base):
    def __init__(self, url: str, tmp: Path, peer: ZaloPeer) -> None:
        self.peer = peer
        self.token = peer.add_bot()
        self.app = build_app(_settings(
            url, tmp, zalo={"token": self.token, "api_base": peer.base, "poll_timeout": 1,
                            "per_second": 30, "chat_interval_seconds": 0.01}),
            clock=SystemClock())
        self.user = ZaloUser("c0ffee00c0ffee00c0ff", "Lò Văn Minh")
        self.address = self.user.id
        self.name = "zalo"

    async def _handled(self, updates: int = 1) -> None:
        [bot] = self.app.zalo
        assert bot.polling is not None
        for _ in range(updates):
            await bot.polling.poll_once()
        await bot.inbox.join()
        await self.app.delivery.drain()

    async def say(self, text: str) -> None:
        await self.peer.says(self.token, self.user, text)
        await self._handled()

    async def press(self, label: str) -> None:
        raise AssertionError("Zalo has no buttons")

    async def photo(self) -> None:
        await self.peer.sends_photo(self.token, self.user, PNG)
        await self._handled()

    async def say_twice(self, text: str) -> None:
        update = await self.peer.says(self.token, self.user, text)
        await self.peer.deliver(self.token, update)
        await self._handled(updates=2)

    async def seen(self) -> list[Seen]:
        return [Seen(text) for text in self.peer.sent(self.token, self.address)]

    def refusals(self) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
        async def spent() -> None:
            self.peer.refuse(self.token)

        async def gone() -> None:
            self.peer.forget(self.token, self.address)

        return [("quota", spent), ("unreachable", gone)]


# The channels the contract suite runs over: how to build each one's user, and the peer
# fixture it talks to (None: it runs in the process).
HARNESSES: dict[str, tuple[Callable[[str, Path, Any], _Base], str | None]] = {
    "console": (ConsoleHarness, None),
    "telegram": (TelegramHarness, "peer"),
    "zalo": (ZaloHarness, "zalo_peer"),
    "memory": (lambda url, tmp, _: InProcess(MemoryChannel(), url, tmp), None),
}
