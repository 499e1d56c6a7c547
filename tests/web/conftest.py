"""The app with its HTTP server listening on loopback, and a cookie-keeping client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import ManualClock
from tests.conftest import RecordingChannel, make_app
from tests.helpers import seed
from tests.web.client import Browser


@contextlib.asynccontextmanager
async def serving(url: str, clock: ManualClock, channel: RecordingChannel,
                  media: Path, **settings: object) -> AsyncIterator[App]:
    http = {"host": "127.0.0.1", "port": 0, **settings.pop("http", {})}  # type: ignore[dict-item]
    app = make_app(url, clock, channel, http=http, media_dir=str(media), **settings)
    await app.start_http()
    await seed(app)
    try:
        yield app
    finally:
        await app.http.stop()
        await app.close()


@pytest.fixture
async def web_app(db_url: str, clock: ManualClock, channel: RecordingChannel,
                  tmp_path: Path) -> AsyncIterator[App]:
    """On both databases."""
    async with serving(db_url, clock, channel, tmp_path / "media") as app:
        yield app


@pytest.fixture
async def web_app_sqlite(sqlite_url: str, clock: ManualClock, channel: RecordingChannel,
                         tmp_path: Path) -> AsyncIterator[App]:
    """On SQLite only: for the browser tests, whose subject is the page, not the database."""
    async with serving(sqlite_url, clock, channel, tmp_path / "media") as app:
        yield app


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    b = Browser()
    yield b
    await b.close()
