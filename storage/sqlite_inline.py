"""aiosqlite without its thread: each sqlite3 call runs on the event loop's own thread.

Why: with WAL and ``synchronous=NORMAL`` a statement of the bot's size takes tens of
microseconds, while aiosqlite's hop to its worker thread and back (a queue, a future, a
loop wake-up, and four hops per SQLAlchemy statement) costs about a millisecond on a busy
two-core machine: the hop, not the database, was most of a conversation step. The catch is
that a call that waits blocks the loop, so nothing here may wait on a lock: the connection
has no busy timeout, write transactions queue on an asyncio gate in the unit of work, and a
lock held by another process is waited out asynchronously there (``storage.uow``).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Generator
from typing import Any

import aiosqlite


class _RunNow:
    """Stands in for aiosqlite's queue to its worker thread: runs each call as it is queued.

    SQLAlchemy's adapter also queues onto it directly (to set the isolation level)."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # handed to the awaiting caller, as the thread would
            if future is not None and not future.done():
                future.set_exception(exc)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """An ``aiosqlite.Connection`` whose calls complete at once, on the caller's thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self._tx = _RunNow()  # type: ignore[assignment]

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        # aiosqlite starts its worker thread here; this connection never needs one.
        return self._connect().__await__()


def connector(path: str) -> Callable[[], InlineConnection]:
    """The ``async_creator`` for SQLAlchemy: a thread-free connection to ``path``."""

    def connect() -> InlineConnection:
        def open_file() -> sqlite3.Connection:
            # timeout=0: a locked database fails fast instead of blocking the event loop.
            return sqlite3.connect(path, timeout=0, uri=path.startswith("file:"))

        return InlineConnection(open_file, iter_chunk_size=64)

    return connect
