"""The compliance ledger: one row per unit and period, written set-based.

Opening a period for 150,000 units is one INSERT ... SELECT (per subtree with its own due
date), never a loop: the row for a unit added mid-period comes from running it again, as
ON CONFLICT DO NOTHING keeps every existing row as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, exists, func, literal, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.dialect import upsert
from storage.models import OrgUnit, PeriodObligation

OWED = ("pending", "missing")


def _leaf() -> ColumnElement[bool]:
    """Units with no unit below them: the grassroots unions that owe periodic reports."""
    child = aliased(OrgUnit)
    return not_(exists().where(child.parent_id == OrgUnit.id))


class Obligations:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def open_period(
        self, kind: str, period: str, form_id: str, due_on: date, now: datetime, *,
        under: str | None = None, excluding: Sequence[str] = (),
    ) -> int:
        """Add the row of every grassroots unit (under the path ``under``, outside the
        ``excluding`` paths) that has none for this period yet; returns how many were added."""
        where: list[ColumnElement[bool]] = [_leaf()]
        if under is not None:
            where.append(OrgUnit.path.like(f"{under}%"))
        where += [not_(OrgUnit.path.like(f"{p}%")) for p in excluding]
        rows = select(
            OrgUnit.id, literal(kind), literal(period), literal(form_id), literal(due_on),
            literal("pending"), literal(now, PeriodObligation.created_at.type),
            literal(now, PeriodObligation.updated_at.type),
        ).where(and_(*where))
        stmt = upsert(self.s, PeriodObligation.__table__).from_select(
            ["unit_id", "kind", "period", "form_id", "due_on", "status", "created_at",
             "updated_at"], rows,
        ).on_conflict_do_nothing(index_elements=["unit_id", "kind", "period"])
        result = await self.s.execute(stmt)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def mark_missing(self, kind: str, period: str, now: datetime) -> int:
        """The due date has passed: every row still pending is missing."""
        result = await self.s.execute(
            update(PeriodObligation)
            .where(PeriodObligation.kind == kind, PeriodObligation.period == period,
                   PeriodObligation.status == "pending")
            .values(status="missing", updated_at=now)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def get(self, unit_id: int, kind: str, period: str) -> PeriodObligation | None:
        return await self.s.scalar(
            select(PeriodObligation).where(
                PeriodObligation.unit_id == unit_id, PeriodObligation.kind == kind,
                PeriodObligation.period == period,
            ).with_for_update()
        )

    async def record(self, obligation_id: int, status: str, report_id: int,
                     submitted_at: datetime) -> None:
        await self.s.execute(
            update(PeriodObligation).where(PeriodObligation.id == obligation_id)
            .values(status=status, report_id=report_id, submitted_at=submitted_at,
                    updated_at=submitted_at)
        )

    async def of_units(self, unit_ids: Sequence[int], *, owed_only: bool = False
                       ) -> Sequence[PeriodObligation]:
        if not unit_ids:
            return []
        stmt = select(PeriodObligation).where(PeriodObligation.unit_id.in_(unit_ids))
        if owed_only:
            stmt = stmt.where(PeriodObligation.status.in_(OWED))
        return (await self.s.scalars(
            stmt.order_by(PeriodObligation.due_on, PeriodObligation.id))).all()

    async def compliance(self, kind: str, period: str, paths: Sequence[str]
                         ) -> dict[str, int]:
        """How many units of these subtrees are in each state for the period."""
        stmt = (
            select(PeriodObligation.status, func.count())
            .join(OrgUnit, OrgUnit.id == PeriodObligation.unit_id)
            .where(PeriodObligation.kind == kind, PeriodObligation.period == period)
            .group_by(PeriodObligation.status)
        )
        if paths:
            stmt = stmt.where(or_(*(OrgUnit.path.like(f"{p}%") for p in paths)))
        return {status: int(n) for status, n in (await self.s.execute(stmt)).all()}
