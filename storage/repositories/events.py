"""Inbound events already applied, so a messenger's repeat delivery changes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.dialect import PerDialect
from storage.models import ProcessedEvent

_TABLE = ProcessedEvent.__table__
# Its values are named parameters, so the same statement also rides as a CTE in the sender's
# load on PostgreSQL (storage/repositories/arrivals.py).
CLAIM = PerDialect(
    lambda insert: insert(_TABLE)
    .values(channel=bindparam("channel"), event_id=bindparam("event_id"),
            processed_at=bindparam("processed_at"))
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
            CLAIM.on(self.c), {"channel": channel, "event_id": event_id, "processed_at": now}
        )
        return inserted is not None

    async def seen(self, channel: str, event_id: str) -> bool:
        found = await self.s.scalar(
            select(ProcessedEvent.id).where(
                ProcessedEvent.channel == channel, ProcessedEvent.event_id == event_id
            )
        )
        return found is not None
