"""Shared fixtures: real databases (a SQLite file and a PostgreSQL database per run), a manual
clock, and the whole app wired as in production with a recording channel as the peer.

PostgreSQL: with CI=true an unreachable server fails the run; locally it skips with a reason.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.app import App, build_app
from bot.channels.base import SENT, Capabilities, OutboundMessage, Quiet, SendResult
from bot.channels.console import CAPABILITIES as CONSOLE_CAPS
from bot.channels.console import NAME as CONSOLE
from bot.clock import ManualClock
from bot.config import Settings
from storage.database import create_engine
from storage.migrate import upgrade
from storage.models import Base

PG_ADMIN_URL = os.environ.get(
    "TINHHINH_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
# 09:00 on a Tuesday in Hanoi.
START = datetime(2026, 11, 17, 2, 0, tzinfo=UTC)


class RecordingChannel(Quiet):
    """A real channel adapter that keeps what it was asked to send; by default it can do what
    the console can, or what the messenger it stands for declares."""

    def __init__(self, name: str = CONSOLE, capabilities: Capabilities = CONSOLE_CAPS) -> None:
        self.name = name
        self.capabilities = capabilities
        self.sent: list[tuple[str, OutboundMessage]] = []

    async def send(self, address: str, message: OutboundMessage) -> SendResult:
        self.sent.append((address, message))
        return SENT

    def texts(self, address: str | None = None) -> list[str]:
        return [m.text for a, m in self.sent if address is None or a == address]

    def clear(self) -> None:
        self.sent.clear()


def _run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"

    async def make() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()

    _run(make())
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    name = f"tinhhinh_test_{uuid.uuid4().hex[:10]}"
    def admin() -> AsyncEngine:
        # One engine per event loop: asyncio.run closes the loop its connections belong to.
        return create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    async def create() -> None:
        engine = admin()
        try:
            async with engine.connect() as conn:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            await engine.dispose()
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()

    try:
        _run(create())
    except (OSError, ConnectionError) as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and unreachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    async def drop() -> None:
        engine = admin()
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()

    _run(drop())


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database: a fresh SQLite file, or the run's PostgreSQL database
    with every table emptied."""
    if request.param == "sqlite":
        path = tmp_path / "tinhhinh.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("pg_url")
    _run(_truncate(url))
    return url


@pytest.fixture
def pg_db_url(pg_url: str) -> str:
    """The run's PostgreSQL database, emptied: for tests that are about PostgreSQL only."""
    _run(_truncate(pg_url))
    return pg_url


async def _truncate(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "tinhhinh.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


def make_app(url: str, clock: ManualClock, channel: RecordingChannel, **overrides: object) -> App:
    settings = Settings(database_url=url, _env_file=None, **overrides)  # type: ignore[call-arg]
    return build_app(settings, clock=clock, channels=[channel])


@pytest.fixture
async def app(db_url: str, clock: ManualClock, channel: RecordingChannel) -> AsyncIterator[App]:
    application = make_app(db_url, clock, channel)
    yield application
    await application.close()
