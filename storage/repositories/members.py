"""How many union members units have: each unit's latest monthly report that says so.

Directives set members reached against it; surveys set their response rate against it. One
query, whatever the number of units: the reports of the units, ranked per unit by period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Report


@dataclass(frozen=True)
class Members:
    """Union members of a set of units, from each unit's latest monthly report."""

    total: int
    units: int  # units with a report to count from
    first_period: str | None
    last_period: str | None


async def latest_members(s: AsyncSession, units: Any, form_id: str, question: str
                         ) -> tuple[Members, dict[int, tuple[int, str]]]:
    """Members of the units ``units`` selects (a SELECT of unit ids), from each one's latest
    report of ``form_id`` that answers ``question`` (a nil report says nothing): the total,
    and per unit (members, period)."""
    count = Report.answers[question].as_integer()
    ranked = (
        select(Report.unit_id, Report.period, count.label("members"),
               func.row_number().over(partition_by=Report.unit_id,
                                      order_by=(Report.period.desc(),
                                                Report.submitted_at.desc()))
               .label("n"))
        .where(Report.form_id == form_id, Report.status == "submitted",
               Report.nil.is_(False), Report.unit_id.in_(units), count.is_not(None))
        .subquery())
    rows = (await s.execute(
        select(ranked.c.unit_id, ranked.c.members, ranked.c.period)
        .where(ranked.c.n == 1))).all()
    per_unit = {int(u): (int(m), str(p)) for u, m, p in rows}
    periods = sorted(p for _, p in per_unit.values())
    return (Members(sum(m for m, _ in per_unit.values()), len(per_unit),
                    periods[0] if periods else None, periods[-1] if periods else None),
            per_unit)
