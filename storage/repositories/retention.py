"""Removing what the retention policy no longer keeps, a small batch at a time.

Each statement deletes at most ``limit`` rows picked by id through an index, so a sweep never
holds a long lock or a long transaction, however much has piled up; the caller runs again
while batches come back full.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, ProcessedEvent

# Outbox rows that will never be sent again (pending and sending rows are never removed).
FINISHED = ("sent", "dead", "dropped", "rerouted")


class Retention:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def events(self, before: datetime, limit: int) -> int:
        """Processed event ids older than ``before`` (past the messengers' redelivery)."""
        ids = select(ProcessedEvent.id).where(ProcessedEvent.processed_at < before) \
            .order_by(ProcessedEvent.id).limit(limit)
        return await self._delete(ProcessedEvent, ids)

    async def messages(self, before: datetime, limit: int) -> int:
        """Outbox rows finished (sent, dead, dropped, rerouted) before ``before``."""
        finished_at = func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at)
        ids = select(OutboxMessage.id).where(OutboxMessage.status.in_(FINISHED),
                                             finished_at < before) \
            .order_by(OutboxMessage.id).limit(limit)
        return await self._delete(OutboxMessage, ids)

    async def _delete(self, table: type, ids: object) -> int:
        # Selected first, then deleted by id: SQLite and PostgreSQL both take this, and
        # neither needs DELETE ... LIMIT (which PostgreSQL lacks).
        found = list((await self.s.scalars(ids)).all())  # type: ignore[call-overload]
        if not found:
            return 0
        await self.s.execute(delete(table).where(table.id.in_(found)))  # type: ignore[attr-defined]
        return len(found)
