"""Durable timers. A fire is claimed by bumping its version, so it runs once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.dialect import PerDialect, is_postgres
from storage.models import Fire

_TABLE = Fire.__table__


def _schedule(insert: Any) -> Any:
    stmt = insert(_TABLE)
    return stmt.on_conflict_do_update(
        index_elements=["kind", "target"],
        set_={
            "due_at": stmt.excluded.due_at,
            "status": "pending",
            "payload": stmt.excluded.payload,
            "version": _TABLE.c.version + 1,
            "fired_at": None,
        },
    )


_SCHEDULE = PerDialect(_schedule)
_ENSURE = PerDialect(
    lambda insert: insert(_TABLE).on_conflict_do_nothing(index_elements=["kind", "target"])
)


class Fires:
    def __init__(self, session: AsyncSession, core: AsyncConnection) -> None:
        self.s = session
        self.c = core  # Core statements on the same transaction

    async def schedule(
        self, kind: str, target: str, due_at: datetime, now: datetime, payload: dict[str, Any]
    ) -> None:
        """Set the timer of this kind for this target, moving it if it exists."""
        await self.schedule_many([(kind, target, due_at, payload)], now)

    async def schedule_many(
        self, timers: Sequence[tuple[str, str, datetime, dict[str, Any]]], now: datetime
    ) -> None:
        """Set (or move) several timers in one statement: a draft moves two on every step."""
        if not timers:
            return
        await self.c.execute(_SCHEDULE.on(self.c), [
            {"kind": kind, "target": target, "due_at": due_at, "version": 0,
             "status": "pending", "payload": payload, "created_at": now}
            for kind, target, due_at, payload in timers
        ])

    async def ensure_many(
        self, timers: Sequence[tuple[str, str, datetime, dict[str, Any]]], now: datetime
    ) -> None:
        """Add the timers that do not exist yet; an existing one (pending, done or cancelled)
        is left exactly as it is, so a timer that ran is never run again."""
        if not timers:
            return
        await self.c.execute(_ENSURE.on(self.c), [
            {"kind": kind, "target": target, "due_at": due_at, "version": 0,
             "status": "pending", "payload": payload, "created_at": now}
            for kind, target, due_at, payload in timers
        ])

    async def cancel_target(self, target: str) -> None:
        await self.s.execute(
            update(Fire)
            .where(Fire.target == target, Fire.status == "pending")
            .values(status="cancelled", version=Fire.version + 1)
        )

    async def due(self, now: datetime, limit: int) -> Sequence[Fire]:
        stmt = (
            select(Fire)
            .where(Fire.status == "pending", Fire.due_at <= now)
            .order_by(Fire.due_at, Fire.id)
            .limit(limit)
        )
        if is_postgres(self.s):
            stmt = stmt.with_for_update(skip_locked=True)
        return (await self.s.scalars(stmt)).all()

    async def claim(self, fire_id: int, version: int, now: datetime) -> bool:
        """Mark done if nobody moved or ran it since it was read; False means skip it."""
        result = await self.s.execute(
            update(Fire)
            .where(Fire.id == fire_id, Fire.version == version, Fire.status == "pending")
            .values(status="done", version=Fire.version + 1, fired_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def pending_for(self, kinds: Sequence[str], target: str) -> Sequence[Fire]:
        """The timers of these kinds still to run for one target (an incident's next ladder
        step), soonest first."""
        return (await self.s.scalars(
            select(Fire).where(Fire.kind.in_(list(kinds)), Fire.target == target,
                               Fire.status == "pending")
            .order_by(Fire.due_at, Fire.id))).all()
