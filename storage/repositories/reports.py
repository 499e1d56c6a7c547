"""Stored reports and their reference numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.dialect import PerDialect
from storage.models import OrgUnit, RefCounter, Report
from storage.repositories.org import in_subtrees


def _next_number(insert: Any) -> Any:
    stmt = insert(_COUNTERS)
    return stmt.on_conflict_do_update(
        index_elements=["prefix", "year"], set_={"value": _COUNTERS.c.value + 1}
    ).returning(_COUNTERS.c.value)


_COUNTERS = RefCounter.__table__
_NEXT_NUMBER = PerDialect(_next_number)


class Reports:
    def __init__(self, session: AsyncSession, core: AsyncConnection) -> None:
        self.s = session
        self.c = core  # Core statements on the same transaction

    async def next_number(self, prefix: str, year: int) -> int:
        """The next number of this prefix and year, gapless.

        The counter row stays locked until commit and serialises concurrent filers, so take
        the number as late in the transaction as possible (handlers.reports.flow does).
        """
        value = await self.c.scalar(
            _NEXT_NUMBER.on(self.c), {"prefix": prefix, "year": year, "value": 1}
        )
        return int(value or 0)

    async def add(
        self,
        *,
        ref: str,
        unit_id: int,
        person_id: int,
        identity_id: int | None,
        form_id: str,
        form_version: int,
        period: str,
        category: str | None,
        severity: str | None,
        answers: dict[str, Any],
        submitted_at: datetime,
        nil: bool = False,
        words: str | None = None,
    ) -> Report:
        report = Report(
            ref=ref,
            unit_id=unit_id,
            person_id=person_id,
            identity_id=identity_id,
            form_id=form_id,
            form_version=form_version,
            period=period,
            category=category,
            severity=severity,
            answers=answers,
            status="submitted",
            submitted_at=submitted_at,
            nil=nil,
            words=words,
        )
        self.s.add(report)
        await self.s.flush()
        return report

    async def by_ref(self, ref: str) -> Report | None:
        return await self.s.scalar(select(Report).where(Report.ref == ref))

    async def recent_for_units(self, unit_ids: Sequence[int], limit: int) -> Sequence[Report]:
        if not unit_ids:
            return []
        return (
            await self.s.scalars(
                select(Report)
                .where(Report.unit_id.in_(unit_ids))
                .order_by(Report.submitted_at.desc(), Report.id.desc())
                .limit(limit)
            )
        ).all()

    async def recent_in(self, unit_ids: Sequence[int], paths: Sequence[str], limit: int
                        ) -> Sequence[tuple[Report, OrgUnit]]:
        """The latest reports of these units and of every unit under these paths."""
        if not unit_ids and not paths:
            return []
        where: list[Any] = [Report.unit_id.in_(list(unit_ids))] if unit_ids else []
        if paths:
            where.append(in_subtrees(paths))
        rows = await self.s.execute(
            select(Report, OrgUnit).join(OrgUnit, OrgUnit.id == Report.unit_id)
            .where(or_(*where)).order_by(Report.submitted_at.desc(), Report.id.desc())
            .limit(limit))
        return [(r, u) for r, u in rows.all()]

    async def numbered(self, number: int, year: int | None = None
                       ) -> Sequence[tuple[Report, OrgUnit]]:
        """Reports whose reference ends in this number (of this year when given), newest
        first: "BC-2026-000123", or 123 alone."""
        pattern = f"%-{year}-{number:06d}" if year else f"%-{number:06d}"
        rows = await self.s.execute(
            select(Report, OrgUnit).join(OrgUnit, OrgUnit.id == Report.unit_id)
            .where(Report.ref.like(pattern)).order_by(Report.submitted_at.desc()).limit(20))
        return [(r, u) for r, u in rows.all()]

    async def get(self, report_id: int) -> Report | None:
        return await self.s.get(Report, report_id)

    async def set_status(self, report_id: int, status: str, *,
                         replaces_id: int | None = None) -> None:
        values: dict[str, Any] = {"status": status}
        if replaces_id is not None:
            values["replaces_id"] = replaces_id
        await self.s.execute(update(Report).where(Report.id == report_id).values(**values))

    async def search(self, paths: Sequence[str], own: Sequence[int], find: ReportFind,
                     limit: int, offset: int = 0) -> list[tuple[Report, OrgUnit]]:
        """One page of the workplace's report list: reports of the chair's own units and of the
        units under the official's paths, newest first, narrowed by ``find``. Typed words
        are matched only in reports whose words the searcher may read (``find.readable``);
        elsewhere a search matches the report's number alone, so a search cannot tell what a
        withheld text says."""
        if not own and not paths:
            return []
        scope: list[ColumnElement[bool]] = [Report.unit_id.in_(list(own))] if own else []
        if paths:
            scope.append(in_subtrees(paths))
        stmt = (select(Report, OrgUnit).join(OrgUnit, OrgUnit.id == Report.unit_id)
                .where(or_(*scope), *find.where()))
        rows = await self.s.execute(
            stmt.order_by(Report.submitted_at.desc(), Report.id.desc())
            .limit(limit).offset(offset))
        return [(r, u) for r, u in rows.all()]


@dataclass(frozen=True)
class ReportFind:
    """What the workplace's report list is narrowed by (each None: any)."""

    under: str | None = None  # a unit's path: its subtree only
    period: str | None = None
    form_id: str | None = None
    category: str | None = None
    severity: str | None = None
    words: str | None = None  # folded
    number: str | None = None  # upper case: part of a reference number
    # Where the searcher reads typed words: these units' own reports and the reports of the
    # units right below these (privacy by level); ``everything``: an administrator's export.
    own_units: tuple[int, ...] = ()
    official_units: tuple[int, ...] = ()
    everything: bool = False

    def readable(self) -> ColumnElement[bool]:
        if self.everything:
            return true()
        return or_(Report.unit_id.in_(list(self.own_units)),
                   OrgUnit.parent_id.in_(list(self.official_units)))

    def where(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.under is not None:
            where.append(OrgUnit.path.like(f"{self.under}%"))
        for column, value in ((Report.period, self.period), (Report.form_id, self.form_id),
                              (Report.category, self.category),
                              (Report.severity, self.severity)):
            if value is not None:
                where.append(column == value)
        found: list[ColumnElement[bool]] = []
        if self.words:
            found.append(and_(self.readable(), Report.words.like(f"%{self.words}%")))
        if self.number:
            found.append(Report.ref.like(f"%{self.number}%"))
        if found:
            where.append(or_(*found))
        return where
