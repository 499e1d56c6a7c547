"""Delivery rate against a loopback Bot API peer that enforces Telegram's limits.

The outbox is filled with replies to many chats (more chats than the bot-wide limit allows a
second, several messages each), the real service's delivery worker sends them through the real
Telegram adapter (aiogram over HTTP) to ``bench.peers.bot_api`` in its own process, and the
peer reports how many it accepted, over what span, and how many it refused with 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp

from bench.fakes import TOKEN
from bot.app import build_app
from bot.clock import SystemClock
from bot.config import Settings
from storage.database import create_engine
from storage.migrate import upgrade

CONFIGURED = 30.0  # messages a second, bot-wide: what the peer enforces


@dataclass(frozen=True)
class DeliveryFigures:
    database: str
    messages: int
    chats: int
    accepted: int
    refused_429: int
    seconds: float  # first to last accepted message, at the peer

    @property
    def per_second(self) -> float:
        return (self.accepted - 1) / self.seconds if self.seconds else 0.0


@contextlib.asynccontextmanager
async def bot_api_peer() -> AsyncIterator[str]:
    """The peer in its own process (it must not share our event loop); yields its base URL."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.peers.bot_api", "--port", "0",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await process.stdout.readline()).decode()
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        process.terminate()
        await process.wait()


async def run_delivery(url: str, label: str, chats: int, per_chat: int) -> DeliveryFigures:
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    async with bot_api_peer() as base:
        settings = Settings(
            database_url=url, _env_file=None,  # type: ignore[call-arg]
            telegram={"token": TOKEN, "api_base": base, "overall_per_second": CONFIGURED},
        )
        app = build_app(settings, clock=SystemClock())
        try:
            now = app.clock.now()
            async with app.uows() as uow:
                for n in range(chats):
                    uid = str(900_000_000 + n)
                    identity = await uow.identities.get_or_create("telegram", uid, uid, "B", now)
                    for k in range(per_chat):
                        await uow.outbox.enqueue(
                            identity_id=identity.id, channel="telegram", address=uid,
                            payload={"text": f"Tin {k + 1} cho nhóm {n}"}, now=now,
                        )
                await uow.commit()
            worker = asyncio.create_task(app.delivery.run_forever(poll_seconds=0.2))
            deadline = time.monotonic() + chats * per_chat / CONFIGURED * 3 + 30
            async with aiohttp.ClientSession() as http:
                while time.monotonic() < deadline:
                    async with http.get(f"{base}/_stats") as response:
                        stats = await response.json()
                    if stats["sent"] >= chats * per_chat:
                        break
                    await asyncio.sleep(0.25)
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        finally:
            await app.close()
    return DeliveryFigures(label, chats * per_chat, chats, stats["sent"], stats["refused"],
                           stats["span"])
