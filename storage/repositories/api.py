"""The read-only API: its tokens, and pages of a subtree's rows for other systems.

Pages are keyset pages by id ("after" the last id a caller has): a caller that syncs every
night asks from where it stopped, new rows always come after, and no page is counted or
skipped over (a province's year of reports is a million rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.api_models import ApiToken
from storage.models import Incident, OrgUnit, PeriodObligation, Report
from storage.repositories.org import in_subtrees


class ApiTokens:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, name: str, digest: str, unit_id: int, person_id: int | None,
                  now: datetime) -> ApiToken:
        token = ApiToken(name=name, digest=digest, unit_id=unit_id, created_by=person_id,
                         created_at=now)
        self.s.add(token)
        await self.s.flush()
        return token

    async def live(self, digest: str) -> tuple[ApiToken, OrgUnit] | None:
        row = (await self.s.execute(
            select(ApiToken, OrgUnit).join(OrgUnit, OrgUnit.id == ApiToken.unit_id)
            .where(ApiToken.digest == digest, ApiToken.revoked_at.is_(None)))).first()
        return (row[0], row[1]) if row is not None else None

    async def used(self, token_id: int, now: datetime) -> None:
        await self.s.execute(update(ApiToken).where(ApiToken.id == token_id)
                             .values(last_used_at=now))

    async def under(self, paths: Sequence[str]) -> list[tuple[ApiToken, OrgUnit]]:
        if not paths:
            return []
        rows = await self.s.execute(
            select(ApiToken, OrgUnit).join(OrgUnit, OrgUnit.id == ApiToken.unit_id)
            .where(in_subtrees(paths)).order_by(ApiToken.id))
        return [(t, u) for t, u in rows.all()]

    async def get(self, token_id: int) -> tuple[ApiToken, OrgUnit] | None:
        row = (await self.s.execute(
            select(ApiToken, OrgUnit).join(OrgUnit, OrgUnit.id == ApiToken.unit_id)
            .where(ApiToken.id == token_id))).first()
        return (row[0], row[1]) if row is not None else None

    async def revoke(self, token_id: int, now: datetime) -> bool:
        result = await self.s.execute(
            update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # -- pages ----------------------------------------------------------------------------
    async def reports(self, path: str, after: int, limit: int,
                      since: datetime | None = None) -> list[tuple[Report, OrgUnit]]:
        stmt = (select(Report, OrgUnit).join(OrgUnit, OrgUnit.id == Report.unit_id)
                .where(Report.id > after, OrgUnit.path.like(f"{path}%")))
        if since is not None:
            stmt = stmt.where(Report.submitted_at >= since)
        rows = await self.s.execute(stmt.order_by(Report.id).limit(limit))
        return [(r, u) for r, u in rows.all()]

    async def incidents(self, path: str, after: int, limit: int
                        ) -> list[tuple[Incident, str, OrgUnit]]:
        rows = await self.s.execute(
            select(Incident, Report.ref, OrgUnit).join(OrgUnit, OrgUnit.id == Incident.unit_id)
            .join(Report, Report.id == Incident.report_id)
            .where(Incident.id > after, OrgUnit.path.like(f"{path}%"))
            .order_by(Incident.id).limit(limit))
        return [(i, str(ref), u) for i, ref, u in rows.all()]

    async def ledger(self, path: str, after: int, limit: int, kind: str | None = None,
                     period: str | None = None) -> list[tuple[PeriodObligation, OrgUnit]]:
        stmt = (select(PeriodObligation, OrgUnit)
                .join(OrgUnit, OrgUnit.id == PeriodObligation.unit_id)
                .where(PeriodObligation.id > after, OrgUnit.path.like(f"{path}%")))
        if kind is not None:
            stmt = stmt.where(PeriodObligation.kind == kind)
        if period is not None:
            stmt = stmt.where(PeriodObligation.period == period)
        rows = await self.s.execute(stmt.order_by(PeriodObligation.id).limit(limit))
        return [(o, u) for o, u in rows.all()]

    async def units(self, path: str, after: int, limit: int) -> Sequence[OrgUnit]:
        return (await self.s.scalars(
            select(OrgUnit).where(OrgUnit.id > after, OrgUnit.path.like(f"{path}%"))
            .order_by(OrgUnit.id).limit(limit))).all()
