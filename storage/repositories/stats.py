"""Figures over a subtree for the digest and /thongke: each one GROUP BY or a few conditional
sums, whatever the number of units or reports (DESIGN.md: digests over millions of reports are
set-based SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Incident, Membership, OrgUnit, PeriodObligation, Report
from storage.repositories.incidents import ACTIVE_STATES, OPEN_STATES
from storage.repositories.org import grassroots, in_subtrees

# The reports that stand: a held second filing, a replaced one or one kept aside do not count.
COUNTED = "submitted"


@dataclass(frozen=True)
class IncidentCounts:
    opened: int
    acknowledged: int
    resolved: int
    stale: int  # not resolved and opened before the stale mark
    stale_unacknowledged: int  # of those, nobody has acknowledged yet


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _within(column: Any, start: datetime, end: datetime) -> Any:
    return and_(column >= start, column < end)


class Stats:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def reports_by_week(self, paths: Sequence[str], bounds: Sequence[datetime]
                              ) -> dict[str, list[int]]:
        """Reports filed per category (a periodic form counts as its form id) in each window
        between consecutive ``bounds``: {"tien_luong": [w1, w2, ...], "bao_cao_thang": ...}."""
        key = func.coalesce(Report.category, Report.form_id)
        units = select(OrgUnit.id).where(in_subtrees(paths))
        stmt = (
            select(key, *(_count_if(_within(Report.submitted_at, a, b))
                          for a, b in pairwise(bounds)))
            .where(Report.submitted_at >= bounds[0], Report.submitted_at < bounds[-1],
                   Report.status == COUNTED, Report.unit_id.in_(units))
            .group_by(key)
        )
        return {row[0]: [int(n) for n in row[1:]] for row in (await self.s.execute(stmt)).all()}

    async def incidents(self, paths: Sequence[str], start: datetime, end: datetime,
                        stale_before: datetime) -> IncidentCounts:
        """Opened, acknowledged and resolved within [start, end); unresolved since before
        ``stale_before``."""
        units = select(OrgUnit.id).where(in_subtrees(paths))
        old = Incident.opened_at < stale_before
        row = (await self.s.execute(
            select(
                _count_if(_within(Incident.opened_at, start, end)),
                _count_if(_within(Incident.acknowledged_at, start, end)),
                _count_if(_within(Incident.resolved_at, start, end)),
                _count_if(and_(old, Incident.state.in_(ACTIVE_STATES))),
                _count_if(and_(old, Incident.state.in_(OPEN_STATES))),
            ).where(Incident.unit_id.in_(units), Incident.opened_at < end)
        )).one()
        return IncidentCounts(*(int(n) for n in row))

    async def waits(self, paths: Sequence[str], start: datetime, end: datetime
                    ) -> tuple[list[float], list[float]]:
        """Seconds from opening to acknowledgement, and to resolution, of the incidents
        acknowledged (resolved) within [start, end): for the medians, which SQLite lacks."""
        units = select(OrgUnit.id).where(in_subtrees(paths))
        rows = (await self.s.execute(
            select(Incident.opened_at, Incident.acknowledged_at, Incident.resolved_at)
            .where(Incident.unit_id.in_(units),
                   _within(Incident.acknowledged_at, start, end)
                   | _within(Incident.resolved_at, start, end))
        )).all()
        acks = [(a - o).total_seconds() for o, a, _ in rows if a is not None and start <= a < end]
        fixes = [(r - o).total_seconds() for o, _, r in rows if r is not None and start <= r < end]
        return acks, fixes

    async def enrolment(self, paths: Sequence[str]) -> tuple[int, int]:
        """(grassroots units with at least one enrolled chair, grassroots units) in the
        subtrees: the plan's "more than 80% of CĐCS use IT" indicator."""
        chair = exists().where(Membership.unit_id == OrgUnit.id, Membership.role == "chair")
        row = (await self.s.execute(
            select(_count_if(chair), func.count()).where(grassroots(), in_subtrees(paths))
        )).one()
        return int(row[0]), int(row[1])

    async def latest_due_periods(self, paths: Sequence[str], today: date
                                 ) -> list[tuple[str, str]]:
        """Per period kind, the latest period already due in the subtrees: (kind, period).
        Period keys of one kind sort in time order ("2026-09" < "2026-10")."""
        rows = (await self.s.execute(
            select(PeriodObligation.kind, func.max(PeriodObligation.period))
            .join(OrgUnit, OrgUnit.id == PeriodObligation.unit_id)
            .where(PeriodObligation.due_on <= today, in_subtrees(paths))
            .group_by(PeriodObligation.kind)
            .order_by(PeriodObligation.kind)
        )).all()
        return [(k, p) for k, p in rows]
