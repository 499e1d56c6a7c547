"""Members answer a survey on their phone, from their unit's link, without enrolling.

The answers are anonymous: the response row holds the unit whose link it came by, the
answers and when, and a digest of the browser's cookie (so one browser answers once), never a
person, an account or an address. The whole form is one page: its answers are read by the
same question types as the chat (bot.engine.page.fill), so skip logic and bounds are the form's
own; a refused answer comes back with its reason and nothing is stored until all are right.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from bot.engine.conversation import CommonChoices, Engine, EngineConfig
from bot.engine.form import Form, parse_form
from bot.engine.messages import Msg
from bot.engine.page import Filled, Raw, fill
from storage.models import OrgUnit
from storage.repositories.unit_messages import plausible_token
from storage.survey_models import SurveyCampaign, SurveyUnit
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class SurveyView:
    campaign: SurveyCampaign
    unit: OrgUnit
    link: SurveyUnit
    form: Form
    answered: bool  # this browser already answered
    closed: Msg | None  # why answers are not taken now (not yet open, ended), or None


def device_digest(cookie: str) -> str:
    # Its own salt: the same browser's directive confirmations are not linkable to it.
    return hashlib.sha256(f"survey:{cookie}".encode()).hexdigest()


class SurveyPages:
    def __init__(self, common: CommonChoices) -> None:
        self.common = common
        self.yes_no = common.yes_no
        self._engines: dict[tuple[str, int], Engine] = {}

    async def engine(self, uow: UnitOfWork, form_id: str, version: int) -> Engine | None:
        """The engine of one stored form version (built once: a version never changes)."""
        key = (form_id, version)
        if key not in self._engines:
            stored = next((v for v in await uow.forms.versions(form_id)
                           if v.version == version), None)
            if stored is None:
                return None
            form = parse_form(stored.definition, f"{form_id} v{version}", self.yes_no)
            self._engines[key] = Engine({form.id: form}, self.common, EngineConfig())
        return self._engines[key]

    async def open(self, uow: UnitOfWork, token: str, cookie: str | None, today: date
                   ) -> SurveyView | None:
        found = await uow.surveys.by_token(token) if plausible_token(token) else None
        if found is None:
            return None
        link, campaign, unit = found
        engine = await self.engine(uow, campaign.form_id, campaign.form_version)
        if engine is None:
            return None
        answered = cookie is not None and await uow.surveys.has_responded(
            campaign.id, device_digest(cookie))
        closed = None
        if campaign.status != "open" or today > campaign.ends_on:
            closed = Msg("survey.ended", end=f"{campaign.ends_on:%d/%m/%Y}")
        elif today < campaign.starts_on:
            closed = Msg("survey.not_yet", start=f"{campaign.starts_on:%d/%m/%Y}")
        return SurveyView(campaign, unit, link, engine.forms[campaign.form_id], answered,
                          closed)

    async def answer(self, uow: UnitOfWork, token: str, cookie: str, raw: Mapping[str, Raw],
                     today: date, now: datetime) -> tuple[SurveyView | None, Filled | None,
                                                          bool]:
        """(the survey, the page's answers read, whether a response was stored)."""
        view = await self.open(uow, token, cookie, today)
        if view is None or view.closed is not None or view.answered:
            return view, None, False
        engine = await self.engine(uow, view.campaign.form_id, view.campaign.form_version)
        assert engine is not None
        started = engine.start(view.form.id)
        assert started.session is not None
        filled = fill(engine, started.session, raw, today, finish=True)
        if not filled.at_card:
            return view, filled, False
        stored = await uow.surveys.respond(view.campaign.id, view.unit.id,
                                           device_digest(cookie), dict(filled.session.answers),
                                           now)
        return view, filled, stored

