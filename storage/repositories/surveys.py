"""Survey campaigns, their units' links and the members' anonymous answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, literal, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import is_postgres, upsert
from storage.models import OrgUnit
from storage.repositories.members import Members, latest_members
from storage.repositories.org import in_subtrees
from storage.repositories.unit_messages import Sent, UnitRows, new_token, to_chairs
from storage.survey_models import SurveyCampaign, SurveyResponse, SurveyUnit


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
        rows = UnitRows(SurveyUnit, [SurveyUnit.campaign_id == campaign_id])
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

    async def unit_rows(self, campaign_id: int, path: str) -> Sequence[Any]:
        """The campaign's units under ``path`` as plain rows (id, code, name, path, parent_id):
        a province's thousand units without building an object for each."""
        rows = await self.s.execute(
            select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.path, OrgUnit.parent_id)
            .join(SurveyUnit, SurveyUnit.unit_id == OrgUnit.id)
            .where(SurveyUnit.campaign_id == campaign_id, OrgUnit.path.like(f"{path}%"))
            .order_by(OrgUnit.path))
        return rows.all()

    async def units(self, campaign_id: int) -> Sequence[tuple[SurveyUnit, OrgUnit]]:
        rows = await self.s.execute(
            select(SurveyUnit, OrgUnit).join(OrgUnit, OrgUnit.id == SurveyUnit.unit_id)
            .where(SurveyUnit.campaign_id == campaign_id).order_by(OrgUnit.path))
        return [(s, u) for s, u in rows.all()]

    # -- results -------------------------------------------------------------------------------
    @staticmethod
    def _scope(campaign_id: int, paths: Sequence[str]) -> list[Any]:
        """The campaign's responses from units under these paths (all of them when none:
        the campaign's own subtree needs no filter)."""
        where: list[Any] = [SurveyResponse.campaign_id == campaign_id]
        if paths:
            where.append(SurveyResponse.unit_id.in_(select(OrgUnit.id)
                                                    .where(in_subtrees(paths))))
        return where

    async def answered(self, campaign_id: int, paths: Sequence[str]) -> dict[int, int]:
        """Responses per unit, for the units under these paths."""
        rows = await self.s.execute(
            select(SurveyResponse.unit_id, func.count())
            .where(*self._scope(campaign_id, paths)).group_by(SurveyResponse.unit_id))
        return {int(u): int(n) for u, n in rows.all()}

    async def value_counts_many(self, campaign_id: int, paths: Sequence[str],
                                keys: Sequence[str]) -> dict[str, dict[str, int]]:
        """For several one-answer questions at once (choices, scales): how many gave each
        answer. One scan of the responses grouped by the answers together (a few hundred
        groups at most); each question's counts are summed from them."""
        if not keys:
            return {}
        values = [SurveyResponse.answers[k].as_string() for k in keys]
        rows = await self.s.execute(
            select(*values, func.count()).where(*self._scope(campaign_id, paths))
            .group_by(*values))
        out: dict[str, dict[str, int]] = {k: {} for k in keys}
        for row in rows.all():
            n = int(row[-1])
            for key, value in zip(keys, row[:-1], strict=True):
                if value is not None:
                    out[key][str(value)] = out[key].get(str(value), 0) + n
        return out

    async def ticked_counts(self, campaign_id: int, paths: Sequence[str], key: str
                            ) -> tuple[dict[str, int], int]:
        """For a question of several choices: how many ticked each, and how many answered."""
        scope = self._scope(campaign_id, paths)
        answered = int(await self.s.scalar(
            select(func.count()).select_from(SurveyResponse)
            .where(*scope, SurveyResponse.answers[key].as_json().is_not(None))) or 0)
        if is_postgres(self.s):
            ticked = func.jsonb_array_elements_text(
                SurveyResponse.answers[key].as_json()).table_valued("value")
        else:
            ticked = func.json_each(SurveyResponse.answers,
                                    f'$."{key}"').table_valued("value")
        rows = await self.s.execute(
            select(ticked.c.value, func.count()).select_from(SurveyResponse)
            .join(ticked, true()).where(*scope).group_by(ticked.c.value))
        return {str(v): int(n) for v, n in rows.all()}, answered

    async def texts(self, campaign_id: int, paths: Sequence[str], key: str,
                    official_units: Sequence[int], own_units: Sequence[int], limit: int
                    ) -> tuple[list[str], int, int]:
        """Free-text answers to one question from the units whose parent is one of
        ``official_units`` or that are one of ``own_units`` (privacy by level), newest first,
        at most ``limit``; then how many such readable answers there are, and how many in
        all."""
        value = SurveyResponse.answers[key].as_string()
        scope = [*self._scope(campaign_id, paths), value.is_not(None), value != ""]
        readable = SurveyResponse.unit_id.in_(select(OrgUnit.id).where(or_(
            OrgUnit.parent_id.in_(list(official_units)), OrgUnit.id.in_(list(own_units)))))
        counted = (await self.s.execute(
            select(func.count(), func.coalesce(func.sum(case((readable, 1), else_=0)), 0))
            .select_from(SurveyResponse).where(*scope))).one()
        total, shown = int(counted[0] or 0), int(counted[1] or 0)
        if not shown:
            return [], 0, total
        rows = await self.s.scalars(
            select(value).where(*scope, readable)
            .order_by(SurveyResponse.submitted_at.desc(), SurveyResponse.id.desc())
            .limit(limit))
        return [str(t) for t in rows.all()], shown, total

    async def numbers(self, campaign_id: int, paths: Sequence[str], key: str, mean: bool
                      ) -> tuple[int, float | None]:
        """How many answered one question, and (for a number) the mean answer."""
        value = SurveyResponse.answers[key]
        row = (await self.s.execute(
            select(func.count(value.as_string()),
                   func.avg(value.as_float()) if mean else literal(None))
            .where(*self._scope(campaign_id, paths)))).one()
        return int(row[0] or 0), round(float(row[1]), 2) if row[1] is not None else None

    async def members_in(self, campaign_id: int, path: str, form_id: str, question: str
                         ) -> tuple[Members, dict[int, tuple[int, str]]]:
        """Members of the campaign's units under ``path`` (their latest monthly reports)."""
        units = select(SurveyUnit.unit_id).where(
            SurveyUnit.campaign_id == campaign_id,
            SurveyUnit.unit_id.in_(select(OrgUnit.id).where(OrgUnit.path.like(f"{path}%"))))
        return await latest_members(self.s, units, form_id, question)

    async def response_page(self, campaign_id: int, paths: Sequence[str], after: int,
                            limit: int) -> Sequence[tuple[SurveyResponse, OrgUnit]]:
        """Responses in id order after ``after`` (an export reads them page by page)."""
        rows = await self.s.execute(
            select(SurveyResponse, OrgUnit).join(OrgUnit, OrgUnit.id == SurveyResponse.unit_id)
            .where(*self._scope(campaign_id, paths), SurveyResponse.id > after)
            .order_by(SurveyResponse.id).limit(limit))
        return [(r, u) for r, u in rows.all()]

    async def closed_between(self, start: datetime, end: datetime
                             ) -> Sequence[tuple[SurveyCampaign, OrgUnit]]:
        """Campaigns that closed in [start, end), with their unit."""
        rows = await self.s.execute(
            select(SurveyCampaign, OrgUnit).join(OrgUnit, OrgUnit.id == SurveyCampaign.unit_id)
            .where(SurveyCampaign.closed_at >= start, SurveyCampaign.closed_at < end)
            .order_by(SurveyCampaign.id))
        return [(c, u) for c, u in rows.all()]

    async def remind_units(self, campaign_id: int, unit_ids: Sequence[int], sent: Sent,
                           default_language: str, now: datetime, key: str) -> int:
        """``sent`` to the chairs of these units of the campaign only."""
        if not unit_ids:
            return 0
        rows = UnitRows(SurveyUnit, [SurveyUnit.campaign_id == campaign_id,
                                     SurveyUnit.unit_id.in_(list(unit_ids))])
        return await to_chairs(self.s, rows, sent, default_language, now, kind="reminder",
                               key=key)

    async def visible(self, paths: Sequence[str], limit: int = 50
                      ) -> Sequence[tuple[SurveyCampaign, OrgUnit]]:
        """Campaigns opened in these subtrees or above them (reaching them), newest first."""
        if not paths:
            return []
        rows = await self.s.execute(
            select(SurveyCampaign, OrgUnit).join(OrgUnit, OrgUnit.id == SurveyCampaign.unit_id)
            .order_by(SurveyCampaign.id.desc()).limit(limit * 4))
        return [(c, u) for c, u in rows.all()
                if any(u.path.startswith(p) or p.startswith(u.path) for p in paths)][:limit]

    async def open_on(self, today: date) -> Sequence[tuple[SurveyCampaign, OrgUnit]]:
        """Campaigns taking answers on ``today`` (local), with their unit."""
        rows = await self.s.execute(
            select(SurveyCampaign, OrgUnit).join(OrgUnit, OrgUnit.id == SurveyCampaign.unit_id)
            .where(SurveyCampaign.status == "open", SurveyCampaign.starts_on <= today,
                   SurveyCampaign.ends_on >= today)
            .order_by(SurveyCampaign.id))
        return [(c, u) for c, u in rows.all()]

    async def campaigns_on(self, form_id: str) -> int:
        """Campaigns that ask this form (any version): a form they ask is in use."""
        return int(await self.s.scalar(
            select(func.count()).select_from(SurveyCampaign)
            .where(SurveyCampaign.form_id == form_id)) or 0)
