"""Inbound events already applied, so a messenger's repeat delivery changes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedEvent


class ProcessedEvents:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def seen(self, channel: str, event_id: str) -> bool:
        found = await self.s.scalar(
            select(ProcessedEvent.id).where(
                ProcessedEvent.channel == channel, ProcessedEvent.event_id == event_id
            )
        )
        return found is not None

    async def record(self, channel: str, event_id: str, now: datetime) -> None:
        # A plain insert: a concurrent duplicate violates the unique key and rolls back.
        self.s.add(ProcessedEvent(channel=channel, event_id=event_id, processed_at=now))
        await self.s.flush()
