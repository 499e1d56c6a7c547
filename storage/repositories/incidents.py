"""Incidents and their event log. State changes are conditional updates: of two officials
pressing "Tiếp nhận" at once, exactly one changes the row, whatever the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Incident, IncidentEvent, OrgUnit, Report
from storage.repositories.org import in_subtrees

OPEN_STATES = ("open", "reopened")
ACTIVE_STATES = ("open", "reopened", "acknowledged")


class Incidents:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def open(
        self, *, report_id: int, unit_id: int, severity: str, rules: Sequence[str],
        ladder: dict[str, Any], first_alert_at: datetime, now: datetime,
    ) -> Incident:
        incident = Incident(
            report_id=report_id, unit_id=unit_id, severity=severity, state="open",
            rules={"matched": list(rules)}, ladder=ladder, step=-1, level=-1,
            first_alert_at=first_alert_at, opened_at=now, version=0, updated_at=now,
        )
        self.s.add(incident)
        await self.s.flush()
        return incident

    async def of_reports(self, report_ids: Sequence[int]) -> dict[int, Incident]:
        """The hot spot each of these reports opened, by report id."""
        if not report_ids:
            return {}
        rows = await self.s.scalars(select(Incident).where(
            Incident.report_id.in_(list(report_ids))))
        return {i.report_id: i for i in rows.all()}

    async def get(self, incident_id: int) -> Incident | None:
        return await self.s.get(Incident, incident_id, populate_existing=True)

    async def with_report(self, incident_id: int) -> tuple[Incident, Report, OrgUnit] | None:
        row = (await self.s.execute(
            select(Incident, Report, OrgUnit)
            .join(Report, Report.id == Incident.report_id)
            .join(OrgUnit, OrgUnit.id == Incident.unit_id)
            .where(Incident.id == incident_id)
            .execution_options(populate_existing=True)
        )).first()
        return (row[0], row[1], row[2]) if row else None

    async def _change(self, incident_id: int, states: Sequence[str], now: datetime,
                      **values: Any) -> bool:
        result = await self.s.execute(
            update(Incident)
            .where(Incident.id == incident_id, Incident.state.in_(states))
            .values(version=Incident.version + 1, updated_at=now, **values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def acknowledge(self, incident_id: int, person_id: int, now: datetime) -> bool:
        """True for the one official whose acknowledgement counts."""
        return await self._change(incident_id, OPEN_STATES, now, state="acknowledged",
                                  acknowledged_at=now, acknowledged_by=person_id)

    async def resolve(self, incident_id: int, person_id: int, note: str, now: datetime,
                      *, acknowledge: bool) -> bool:
        values: dict[str, Any] = {"state": "resolved", "resolved_at": now,
                                  "resolved_by": person_id, "resolution": note}
        if acknowledge:  # resolved straight away: the resolver took it on
            values.update(acknowledged_at=now, acknowledged_by=person_id)
        states = OPEN_STATES if acknowledge else ("acknowledged",)
        return await self._change(incident_id, states, now, **values)

    async def reopen(self, incident_id: int, now: datetime, first_alert_at: datetime) -> bool:
        return await self._change(
            incident_id, ("resolved",), now, state="reopened", acknowledged_at=None,
            acknowledged_by=None, resolved_at=None, resolved_by=None, resolution=None,
            step=-1, level=-1, first_alert_at=first_alert_at,
        )

    async def stepped(self, incident_id: int, step: int, level: int, now: datetime) -> None:
        await self.s.execute(
            update(Incident).where(Incident.id == incident_id)
            .values(step=step, level=level, updated_at=now)
        )

    async def log(
        self, incident_id: int, kind: str, now: datetime, *, person_id: int | None = None,
        identity_id: int | None = None, note: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.s.add(IncidentEvent(
            incident_id=incident_id, at=now, kind=kind, actor_person_id=person_id,
            actor_identity_id=identity_id, note=note, details=details or {},
        ))
        await self.s.flush()

    async def events(self, incident_id: int) -> Sequence[IncidentEvent]:
        return (await self.s.scalars(
            select(IncidentEvent).where(IncidentEvent.incident_id == incident_id)
            .order_by(IncidentEvent.id)
        )).all()

    async def active_in_subtrees(
        self, paths: Sequence[str], limit: int
    ) -> tuple[list[tuple[Incident, OrgUnit]], int]:
        """Incidents not yet resolved under any of these unit paths, oldest first, and how
        many there are in all."""
        if not paths:
            return [], 0
        where = (
            Incident.state.in_(ACTIVE_STATES),
            in_subtrees(paths),
        )
        base = select(Incident, OrgUnit).join(OrgUnit, OrgUnit.id == Incident.unit_id)
        rows = (await self.s.execute(
            base.where(*where).order_by(Incident.opened_at, Incident.id).limit(limit)
        )).all()
        total = len(rows)
        if total == limit:
            total = int(await self.s.scalar(
                select(func.count()).select_from(Incident)
                .join(OrgUnit, OrgUnit.id == Incident.unit_id).where(*where)
            ) or 0)
        return [(i, u) for i, u in rows], total

    async def board(self, paths: Sequence[str], states: Sequence[str], *,
                    severity: str | None = None, opened_before: datetime | None = None,
                    limit: int, offset: int = 0
                    ) -> list[tuple[Incident, str, OrgUnit]]:
        """One page of the hot-spot board: incidents in these states under these paths, with
        their report's number and unit; those being worked oldest first (the most urgent on
        top), resolved ones the latest resolved first. A page past the last is empty."""
        if not paths or not states:
            return []
        resolved = tuple(states) == ("resolved",)
        order = (Incident.resolved_at.desc(), Incident.id.desc()) if resolved else (
            Incident.opened_at, Incident.id)
        stmt = (select(Incident, Report.ref, OrgUnit)
                .join(OrgUnit, OrgUnit.id == Incident.unit_id)
                .join(Report, Report.id == Incident.report_id)
                .where(Incident.state.in_(list(states)), in_subtrees(paths)))
        if severity is not None:
            stmt = stmt.where(Incident.severity == severity)
        if opened_before is not None:
            stmt = stmt.where(Incident.opened_at < opened_before)
        rows = await self.s.execute(stmt.order_by(*order).limit(limit).offset(offset))
        return [(i, str(ref), u) for i, ref, u in rows.all()]

    async def counts_by_state(self, paths: Sequence[str]) -> dict[str, int]:
        """How many incidents of these subtrees are in each state (the board's tabs)."""
        if not paths:
            return {}
        rows = await self.s.execute(
            select(Incident.state, func.count()).join(OrgUnit, OrgUnit.id == Incident.unit_id)
            .where(in_subtrees(paths)).group_by(Incident.state))
        return {str(state): int(n) for state, n in rows.all()}
