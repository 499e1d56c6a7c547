"""Creating the async engine, with SQLite tuned for a bot (WAL, immediate write transactions)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession

from storage.dialect import with_index_hints
from storage.sqlite_inline import connector

T = TypeVar("T")

# How long a write waits for another process's SQLite write lock (TINHHINH_SQLITE_LOCK_WAIT).
LOCK_WAIT_SECONDS = 30.0


class DatabaseLocked(Exception):
    """Another process held SQLite's write lock for longer than we wait."""

    def __init__(self, waited: float) -> None:
        super().__init__(f"the database stayed locked by another process for {waited:.0f}s")
        self.waited = waited


def is_locked(exc: OperationalError) -> bool:
    return "locked" in str(exc.orig) or "busy" in str(exc.orig)


async def while_locked(action: Callable[[], Awaitable[T]],
                       wait: float = LOCK_WAIT_SECONDS) -> T:
    """Run ``action``, again and again while SQLite says another process holds the write
    lock (connections here never block on it: ``storage.sqlite_inline``), for up to
    ``wait`` seconds; then DatabaseLocked."""
    deadline = time.monotonic() + wait
    pause = 0.002
    while True:
        try:
            return await action()
        except OperationalError as exc:
            if not is_locked(exc):
                raise
            if time.monotonic() >= deadline:
                raise DatabaseLocked(wait) from None
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.1)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url, async_creator=connector(database or ":memory:"), **kwargs
        )
        _tune_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 30)
    kwargs.setdefault("max_overflow", 10)
    # No pool_pre_ping: on asyncpg it costs three round trips (BEGIN, ping, ROLLBACK) per
    # checkout, more than a whole step's statements. A connection dropped by a server restart
    # is instead detected on use; SQLAlchemy then discards the pool and callers retry once
    # (handlers.conversation.inbound).
    return create_async_engine(url, **kwargs)


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "before_cursor_execute", retval=True)
    def _hints(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
               _many: bool) -> tuple[str, Any]:
        return with_index_hints(statement), parameters

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: two writers queue instead of one failing
        # with "database is locked" when it upgrades a read lock mid-transaction.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
