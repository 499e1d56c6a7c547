"""End-to-end fixtures: the Telegram peer process, and the bot wired to it over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import App, build_app
from bot.channels.telegram.channel import CAPABILITIES as TELEGRAM_CAPS
from bot.clock import Clock, SystemClock
from bot.config import Settings
from tests.conftest import RecordingChannel
from tests.e2e.peer import Peer, RunnerProcess, ci, new_token
from tests.e2e.zalo_peer import ZaloPeer


@pytest.fixture(scope="session")
def runner() -> Iterator[RunnerProcess]:
    try:
        process = RunnerProcess()
    except FileNotFoundError as exc:
        if ci():
            pytest.fail(f"CI must run the end-to-end tests: {exc}")
        pytest.skip(str(exc))
    yield process
    process.stop()


@pytest.fixture
async def peer(runner: RunnerProcess) -> AsyncIterator[Peer]:
    async with aiohttp.ClientSession() as http:
        yield Peer(runner.base, new_token(), http)


def telegram_app(db_url: str, peer: Peer, http_port: int = 0, clock: Clock | None = None,
                 **telegram: Any) -> App:
    settings = Settings(
        database_url=db_url,
        telegram={"token": peer.token, "api_base": peer.api_base, "poll_timeout": 1,
                  "username": "TestNameBot", **telegram},
        http={"host": "127.0.0.1", "port": http_port},
        _env_file=None,  # type: ignore[call-arg]
    )
    return build_app(settings, clock=clock or SystemClock())


def telegram_web_app(db_url: str, peer: Peer, tmp_path: Path) -> App:
    """The bot on the Telegram peer with its web pages on a free loopback port, the address
    its links carry (the phone-sized browser tests)."""
    from tests.e2e.test_zalo import free_port

    port = free_port()
    settings = Settings(
        database_url=db_url, media_dir=tmp_path / "media",
        telegram={"token": peer.token, "api_base": peer.api_base, "poll_timeout": 1,
                  "chat_interval_seconds": 0.05},
        http={"host": "127.0.0.1", "port": port, "public_url": f"http://127.0.0.1:{port}"},
        _env_file=None,  # type: ignore[call-arg]
    )
    return build_app(settings)


@contextlib.asynccontextmanager
async def running(app: App, *, polling: bool = True) -> AsyncIterator[list[asyncio.Task[Any]]]:
    """The bot's moving parts in the background: polling and delivery."""
    assert app.telegram is not None
    await app.telegram.publish_menu()
    tasks: list[asyncio.Task[Any]] = [asyncio.create_task(app.delivery.run_forever(60.0))]
    if polling:
        assert app.telegram_polling is not None
        tasks.append(asyncio.create_task(app.telegram_polling.run()))
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        # Bounded: a part that swallowed its cancel must fail the test, not hang the suite.
        _, stuck = await asyncio.wait(tasks, timeout=10)
        assert not stuck, f"parts did not stop when cancelled: {stuck}"


@pytest.fixture
async def tg_app(db_url: str, peer: Peer) -> AsyncIterator[App]:
    # Conversation tests script a person typing faster than anyone does; the per-chat pace
    # (1 s by default) is shown by the delivery tests, so here it is short.
    app = telegram_app(db_url, peer, chat_interval_seconds=0.05)
    yield app
    await app.close()


@pytest.fixture
def telegram() -> RecordingChannel:
    """A recording channel standing for Telegram (beside a real Zalo channel)."""
    return RecordingChannel("telegram", TELEGRAM_CAPS)


@pytest.fixture
async def zalo_peer() -> AsyncIterator[ZaloPeer]:
    peer = await ZaloPeer(max_poll=0.5).start()
    yield peer
    await peer.stop()
