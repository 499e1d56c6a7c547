"""Reading a subtree's reports, incidents and ledger for an Excel export, page by page.

Pages are keyed on the row id (``id > last``), so a 100,000-report export holds a page in
memory at a time, never the whole result, on either database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Incident, OrgUnit, PeriodObligation, Person, Report
from storage.repositories.org import in_subtrees
from storage.repositories.stats import COUNTED


@dataclass(frozen=True)
class ReportScope:
    """Which reports of a subtree an export holds: rapid reports by the time they were filed,
    periodic ones by the period they are for."""

    path: str
    start: datetime
    end: datetime
    timed_forms: tuple[str, ...]
    periodic: Mapping[str, Sequence[str]]  # form id -> period keys

    def of_form(self, form_id: str) -> Any:
        if form_id in self.timed_forms:
            return and_(Report.form_id == form_id, Report.submitted_at >= self.start,
                        Report.submitted_at < self.end)
        keys = self.periodic.get(form_id)
        if not keys:
            return false()
        return and_(Report.form_id == form_id, Report.period.in_(keys))


@dataclass(frozen=True)
class ReportRow:
    report: Report
    unit_code: str
    unit_name: str
    unit_parent_id: int | None
    reporter: str


class Exports:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    def _reports(self, scope: ReportScope, form_id: str) -> Any:
        units = select(OrgUnit.id).where(in_subtrees([scope.path]))
        return (Report.status == COUNTED, Report.unit_id.in_(units), scope.of_form(form_id))

    async def count_reports(self, scope: ReportScope, form_id: str) -> int:
        return int(await self.s.scalar(
            select(func.count()).select_from(Report).where(*self._reports(scope, form_id))
        ) or 0)

    async def report_page(self, scope: ReportScope, form_id: str, after: int, limit: int
                          ) -> list[ReportRow]:
        rows = await self.s.execute(
            select(Report, OrgUnit.code, OrgUnit.name, OrgUnit.parent_id, Person.display_name)
            .join(OrgUnit, OrgUnit.id == Report.unit_id)
            .join(Person, Person.id == Report.person_id)
            .where(*self._reports(scope, form_id), Report.id > after)
            .order_by(Report.id)
            .limit(limit)
        )
        out = [ReportRow(r, code, name, parent, who) for r, code, name, parent, who in rows.all()]
        for row in out:  # a page read is a page forgotten: memory stays flat
            self.s.expunge(row.report)
        return out

    async def incidents(self, path: str, start: datetime, end: datetime
                        ) -> list[tuple[Incident, str, OrgUnit]]:
        """Incidents of the subtree opened within [start, end), with their report's number."""
        rows = await self.s.execute(
            select(Incident, Report.ref, OrgUnit)
            .join(Report, Report.id == Incident.report_id)
            .join(OrgUnit, OrgUnit.id == Incident.unit_id)
            .where(in_subtrees([path]), Incident.opened_at >= start, Incident.opened_at < end)
            .order_by(Incident.id)
        )
        return [(i, ref, u) for i, ref, u in rows.all()]

    async def ledger(self, path: str, periods: Mapping[str, Sequence[str]]
                     ) -> list[tuple[PeriodObligation, OrgUnit, str | None]]:
        """Ledger rows of the subtree for these period keys per kind, with the report's
        number where one was filed."""
        wanted = [and_(PeriodObligation.kind == kind, PeriodObligation.period.in_(keys))
                  for kind, keys in periods.items() if keys]
        if not wanted:
            return []
        filed = aliased(Report)
        rows = await self.s.execute(
            select(PeriodObligation, OrgUnit, filed.ref)
            .join(OrgUnit, OrgUnit.id == PeriodObligation.unit_id)
            .outerjoin(filed, filed.id == PeriodObligation.report_id)
            .where(in_subtrees([path]), or_(*wanted))
            .order_by(PeriodObligation.due_on, PeriodObligation.kind, OrgUnit.path)
        )
        return [(o, u, ref) for o, u, ref in rows.all()]
