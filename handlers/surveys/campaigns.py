"""Opening a survey campaign: an official asks the members of every CĐCS under one of their
units to answer a survey form between two days.

The form is an imported one (its latest version is the one asked, kept with the campaign) or
the shipped annual survey, imported on first use. Each CĐCS gets its own link (a random token)
that its chair shares in the unit's Zalo group or prints as a QR code; the chairs are sent it
in one statement. Members need the web pages: without them no campaign opens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.engine.messages import Msg
from bot.i18n import Translator
from handlers.directives.publishing import Actor, Refused, official_units
from handlers.reports.page import NotYours
from handlers.surveys.forms import FormImport
from storage.repositories.unit_messages import TOKEN, UNIT, Sent
from storage.survey_models import SurveyCampaign
from storage.uow import UnitOfWork

SURVEY_PAGE = "/web/s/"
LONGEST = timedelta(days=92)  # a campaign's window: a quarter at most


def day(value: date) -> str:
    return f"{value:%d/%m/%Y}"


class Campaigns:
    def __init__(self, imports: FormImport, shipped: dict[str, Path], translator: Translator,
                 languages: Sequence[str], default_language: str,
                 base_url: Callable[[], str | None], tz: ZoneInfo) -> None:
        self.imports = imports
        self.shipped = shipped  # form id -> the shipped .xlsx, imported on first use
        self.tr = translator
        self.languages = tuple(languages)
        self.default_language = default_language
        self.base_url = base_url
        self.tz = tz

    async def open(self, uow: UnitOfWork, actor: Actor, unit_id: int, form_id: str,
                   starts_on: date, ends_on: date, now: datetime) -> SurveyCampaign:
        unit = next((u for u in await official_units(uow, actor.person_id) if u.id == unit_id),
                    None)
        if unit is None:
            raise NotYours(unit_id)
        today = now.astimezone(self.tz).date()
        if not today <= starts_on <= ends_on or ends_on - starts_on > LONGEST:
            raise Refused(Msg("survey.bad_window", days=LONGEST.days))
        base = self.base_url()
        if base is None:
            raise Refused(Msg("survey.no_pages"))
        stored = await uow.forms.latest(form_id)
        if stored is None and form_id in self.shipped:
            path = self.shipped[form_id]
            await self.imports.store(uow, path.read_bytes(), path.name, now, actor.person_id)
            stored = await uow.forms.latest(form_id)
        if stored is None:
            raise Refused(Msg("survey.no_form", form=form_id))
        units = await uow.directives.audience(unit.path)
        if not units:
            raise Refused(Msg("directive.no_units"))
        campaign = await uow.surveys.add_campaign(
            form_id=form_id, form_version=stored.version, unit_id=unit.id,
            opened_by=actor.person_id, starts_on=starts_on, ends_on=ends_on, status="open",
            created_at=now, closed_at=None)
        await uow.surveys.open_units(campaign.id, units, now)
        title = stored.definition.get("title", {})
        for lang in self.languages:
            text = self.tr.render(lang, Msg(
                "survey.sent", title=title.get(lang) or title.get("vi", form_id), unit=UNIT,
                issuer=unit.name, start=day(starts_on), end=day(ends_on),
                url=f"{base.rstrip('/')}{SURVEY_PAGE}{TOKEN}"))
            await uow.surveys.send(campaign.id, Sent(lang, text), self.default_language, now,
                                   kind="notice", key=f"survey:{campaign.id}")
        await uow.audit.write("survey.opened", now, subject=f"survey:{campaign.id}",
                              details={"form": form_id, "version": stored.version,
                                       "unit": unit.code, "units": len(units),
                                       "starts_on": starts_on.isoformat(),
                                       "ends_on": ends_on.isoformat(), "via": actor.via},
                              person_id=actor.person_id, identity_id=actor.identity_id)
        return campaign
