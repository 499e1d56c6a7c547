"""Sent marks committed together: one transaction for every send that finished meanwhile.

Behind a national backlog the worker's lanes finish sends at the messenger's rate (25-30 a
second on Telegram); marking each in its own transaction was a commit (an fsync on SQLite, a
round trip and a WAL flush on PostgreSQL) per message. Here the first lane to finish a send
starts a flush, and every lane finishing while it runs joins the next one: a group commit,
one ``UPDATE`` executed for many ids (``Outbox.mark_sent_many``).

Each lane still waits for its own mark to commit before it sends its chat's next message, as
it did with a transaction of its own: what the messenger accepted is marked before anything
else happens in that chat, and a crash loses nothing it did not lose before (a send whose mark
had not committed is sent again after its lease lapses, the same one-message window). A flush
that fails fails every mark in it; each lane then retries its own as before
(``DeliveryWorker._record_until_done``), and the retries group again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from storage.uow import UnitOfWork


class SentMarks:
    def __init__(self, uows: Callable[[], UnitOfWork]) -> None:
        self.uows = uows
        self._waiting: list[tuple[int, datetime, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.flushes = 0  # transactions committed

    async def mark(self, message_id: int, at: datetime) -> None:
        """Return once the row is marked sent (committed); raise if that commit failed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((message_id, at, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await asyncio.shield(done)  # a cancelled lane must not cancel the others' marks

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                async with self.uows() as uow:
                    await uow.outbox.mark_sent_many([(i, at) for i, at, _ in batch])
                    await uow.commit()
            except Exception as exc:
                # Shielded, these futures are never cancelled; retrieved here, so a lane
                # cancelled meanwhile (shutdown) leaves no "never retrieved" warning.
                for _, _, done in batch:
                    done.set_exception(exc)
                    done.exception()
                continue
            self.flushes += 1
            for _, _, done in batch:
                done.set_result(None)
