"""Survey campaigns, their units' links and the members' anonymous answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import upsert
from storage.models import OrgUnit
from storage.repositories.unit_messages import Sent, UnitRows, new_token, to_chairs
from storage.survey_models import SurveyCampaign, SurveyResponse, SurveyUnit

UNIT_PAGE = "/web/surveys/u/"


class Surveys:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add_campaign(self, **values: Any) -> SurveyCampaign:
        row = SurveyCampaign(**values)
        self.s.add(row)
        await self.s.flush()
        return row

    async def campaign(self, campaign_id: int) -> SurveyCampaign | None:
        return await self.s.get(SurveyCampaign, campaign_id)

    async def open_units(self, campaign_id: int, unit_ids: Sequence[int], now: datetime) -> int:
        """Each unit's link: one multi-row INSERT, whatever the number of units."""
        if not unit_ids:
            return 0
        stmt = upsert(self.s, SurveyUnit.__table__).on_conflict_do_nothing(
            index_elements=["campaign_id", "unit_id"])
        result = await self.s.execute(stmt, [
            {"campaign_id": campaign_id, "unit_id": u, "token": new_token(), "created_at": now}
            for u in unit_ids])
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def send(self, campaign_id: int, sent: Sent, default_language: str, now: datetime,
                   *, kind: str, key: str) -> int:
        rows = UnitRows(SurveyUnit, [SurveyUnit.campaign_id == campaign_id], UNIT_PAGE)
        return await to_chairs(self.s, rows, sent, default_language, now, kind=kind, key=key)

    async def by_token(self, token: str
                       ) -> tuple[SurveyUnit, SurveyCampaign, OrgUnit] | None:
        row = (await self.s.execute(
            select(SurveyUnit, SurveyCampaign, OrgUnit)
            .join(SurveyCampaign, SurveyCampaign.id == SurveyUnit.campaign_id)
            .join(OrgUnit, OrgUnit.id == SurveyUnit.unit_id)
            .where(SurveyUnit.token == token))).first()
        return (row[0], row[1], row[2]) if row else None

    async def respond(self, campaign_id: int, unit_id: int, device: str,
                      answers: dict[str, Any], now: datetime) -> bool:
        """A member's answers; False when this browser had already answered."""
        result = await self.s.execute(
            upsert(self.s, SurveyResponse.__table__).values(
                campaign_id=campaign_id, unit_id=unit_id, device=device, answers=answers,
                submitted_at=now,
            ).on_conflict_do_nothing(index_elements=["campaign_id", "device"]))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def has_responded(self, campaign_id: int, device: str) -> bool:
        found = await self.s.scalar(select(SurveyResponse.id).where(
            SurveyResponse.campaign_id == campaign_id, SurveyResponse.device == device))
        return found is not None

    async def responses_by_unit(self, campaign_id: int) -> dict[int, int]:
        rows = await self.s.execute(
            select(SurveyResponse.unit_id, func.count())
            .where(SurveyResponse.campaign_id == campaign_id)
            .group_by(SurveyResponse.unit_id))
        return {int(u): int(n) for u, n in rows.all()}

    async def units(self, campaign_id: int) -> Sequence[tuple[SurveyUnit, OrgUnit]]:
        rows = await self.s.execute(
            select(SurveyUnit, OrgUnit).join(OrgUnit, OrgUnit.id == SurveyUnit.unit_id)
            .where(SurveyUnit.campaign_id == campaign_id).order_by(OrgUnit.path))
        return [(s, u) for s, u in rows.all()]

    async def campaigns_on(self, form_id: str) -> int:
        """Campaigns that ask this form (any version): a form they ask is in use."""
        return int(await self.s.scalar(
            select(func.count()).select_from(SurveyCampaign)
            .where(SurveyCampaign.form_id == form_id)) or 0)
