"""Inbound events already applied, so a messenger's repeat delivery changes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.dialect import PerDialect
from storage.models import ProcessedEvent

_TABLE = ProcessedEvent.__table__
_CLAIM = PerDialect(
    lambda insert: insert(_TABLE)
    .on_conflict_do_nothing(index_elements=["channel", "event_id"])
    .returning(_TABLE.c.id)
)


class ProcessedEvents:
    def __init__(self, session: AsyncSession, core: AsyncConnection) -> None:
        self.s = session
        self.c = core  # Core statements on the same transaction

    async def claim(self, channel: str, event_id: str, now: datetime) -> bool:
        """Record the event as applied by this transaction; False if it already was.

        The unique key does the checking: a concurrent copy of the same event waits on the
        key until this transaction ends, then finds it taken (or takes it, if we rolled back).
        """
        inserted = await self.c.scalar(
            _CLAIM.on(self.c), {"channel": channel, "event_id": event_id, "processed_at": now}
        )
        return inserted is not None

    async def seen(self, channel: str, event_id: str) -> bool:
        found = await self.s.scalar(
            select(ProcessedEvent.id).where(
                ProcessedEvent.channel == channel, ProcessedEvent.event_id == event_id
            )
        )
        return found is not None
