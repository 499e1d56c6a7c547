"""Updates as messengers delivered them: kept before they are applied, or set aside."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import upsert
from storage.models import InboundUpdate

# How much of a reason is kept (an exception's text can be long).
REASON_CHARS = 500


class InboundUpdates:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def keep(self, channel: str, event_id: str, chat_id: str, body: str, now: datetime,
                   *, status: str = "pending", reason: str | None = None) -> bool:
        """Store an update as received; False when it was stored already (a repeat)."""
        stmt = upsert(self.s, InboundUpdate.__table__).values(
            channel=channel, event_id=event_id[:128], chat_id=chat_id[:128], body=body,
            status=status, attempts=0, reason=reason[:REASON_CHARS] if reason else None,
            received_at=now,
        ).on_conflict_do_nothing(index_elements=["channel", "event_id"])
        result = await self.s.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def set_aside(self, channel: str, event_id: str, chat_id: str, body: str,
                        reason: str, now: datetime) -> None:
        """Record an update that could not be applied (``failed``), kept with its reason."""
        values = {"status": "failed", "reason": reason[:REASON_CHARS], "done_at": now}
        stmt = upsert(self.s, InboundUpdate.__table__).values(
            channel=channel, event_id=event_id[:128], chat_id=chat_id[:128], body=body,
            attempts=1, received_at=now, **values,
        ).on_conflict_do_update(index_elements=["channel", "event_id"], set_=values)
        await self.s.execute(stmt)

    async def pending(self, channel: str, skip: Sequence[int] = (),
                      limit: int = 500) -> Sequence[InboundUpdate]:
        """Stored updates not yet applied, in the order they arrived."""
        stmt = (select(InboundUpdate)
                .where(InboundUpdate.status == "pending", InboundUpdate.channel == channel)
                .order_by(InboundUpdate.id).limit(limit))
        if skip:
            stmt = stmt.where(InboundUpdate.id.not_in(skip))
        return (await self.s.scalars(stmt)).all()

    async def done(self, update_id: int) -> None:
        """Applied: the processed-event row now stands for it (a repeat is dropped there), so
        the copy, which holds what the person wrote, is not kept."""
        await self.s.execute(delete(InboundUpdate).where(InboundUpdate.id == update_id))

    async def counts(self) -> dict[tuple[str, str], int]:
        """How many updates per (channel, status): for `tinhhinh status`."""
        rows = await self.s.execute(
            select(InboundUpdate.channel, InboundUpdate.status, func.count())
            .group_by(InboundUpdate.channel, InboundUpdate.status))
        return {(channel, status): int(n) for channel, status, n in rows.all()}
