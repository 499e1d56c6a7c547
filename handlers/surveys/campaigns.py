"""Opening a survey campaign: an official asks the members of every CĐCS under one of their
units to answer a survey form between two days.

The form is an imported one (its latest version is the one asked, kept with the campaign) or
the shipped annual survey, imported on first use. Each CĐCS gets its own link (a random token)
that its chair shares in the unit's Zalo group or prints as a QR code; the chairs are sent it
in one statement. Members need the web pages: without them no campaign opens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.engine.messages import Msg
from bot.i18n import Translator
from handlers.directives.publishing import Actor, Refused, official_units
from handlers.reports.page import NotYours
from handlers.surveys.forms import FormImport
from storage.models import Fire
from storage.repositories.unit_messages import TOKEN, UNIT, Sent
from storage.survey_models import SurveyCampaign
from storage.uow import UnitOfWork

SURVEY_PAGE = "/web/s/"
LONGEST = timedelta(days=92)  # a campaign's window: a quarter at most
REMIND, CLOSE = "survey.remind", "survey.close"
REMIND_DAYS_BEFORE = 2  # the reminder to units answering little, before the last day
REMIND_AT = time(8, 0)
LOW_RATE = 0.5  # a unit is reminded under half of its members answering


def day(value: date) -> str:
    return f"{value:%d/%m/%Y}"


class Campaigns:
    def __init__(self, imports: FormImport, shipped: dict[str, Path], translator: Translator,
                 languages: Sequence[str], default_language: str,
                 base_url: Callable[[], str | None], tz: ZoneInfo,
                 members: tuple[str, str] = ("bao_cao_thang", "so_doan_vien")) -> None:
        # Where a unit's members are counted from: (form, question), as the policy says.
        self.members_form, self.members_question = members
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
        remind_at = datetime.combine(ends_on - timedelta(days=REMIND_DAYS_BEFORE), REMIND_AT,
                                     self.tz)
        close_at = datetime.combine(ends_on + timedelta(days=1), time(0, 5), self.tz)
        timers = [(CLOSE, f"survey:{campaign.id}:close", close_at, {"campaign": campaign.id})]
        if remind_at > now:
            timers.append((REMIND, f"survey:{campaign.id}:remind", remind_at,
                           {"campaign": campaign.id}))
        await uow.fires.ensure_many(timers, now)
        await uow.audit.write("survey.opened", now, subject=f"survey:{campaign.id}",
                              details={"form": form_id, "version": stored.version,
                                       "unit": unit.code, "units": len(units),
                                       "starts_on": starts_on.isoformat(),
                                       "ends_on": ends_on.isoformat(), "via": actor.via},
                              person_id=actor.person_id, identity_id=actor.identity_id)
        return campaign

    # -- near the end, and the end --------------------------------------------------------
    async def on_remind(self, uow: UnitOfWork, fire: Fire, now: datetime) -> None:
        """The units where few members have answered (under half of the members their
        latest monthly report gives, or none at all where it gives none) are reminded."""
        campaign = await uow.surveys.campaign(int(fire.payload["campaign"]))
        if campaign is None or campaign.status != "open":
            return
        top = await uow.units.get(campaign.unit_id)
        assert top is not None
        answered = await uow.surveys.answered(campaign.id, [top.path])
        _, members = await uow.surveys.members_in(campaign.id, top.path, self.members_form,
                                                  self.members_question)
        low = [u.id for _, u in await uow.surveys.units(campaign.id)
               if _low(answered.get(u.id, 0), members.get(u.id, (None, ""))[0])]
        stored = await uow.forms.latest(campaign.form_id)
        title = (stored.definition.get("title", {}) if stored else {}) or {}
        base = self.base_url()
        for lang in self.languages:
            text = self.tr.render(lang, Msg(
                "survey.remind", title=title.get(lang) or title.get("vi", campaign.form_id),
                unit=UNIT, end=day(campaign.ends_on),
                url=f"{(base or '').rstrip('/')}{SURVEY_PAGE}{TOKEN}"))
            await uow.surveys.remind_units(campaign.id, low, Sent(lang, text),
                                           self.default_language, now,
                                           key=f"survey:{campaign.id}:remind")

    async def on_close(self, uow: UnitOfWork, fire: Fire, now: datetime) -> None:
        campaign = await uow.surveys.campaign(int(fire.payload["campaign"]))
        if campaign is None or campaign.status != "open":
            return
        campaign.status, campaign.closed_at = "closed", now
        await uow.audit.write("survey.closed", now, subject=f"survey:{campaign.id}",
                              label="scheduler")


def _low(answered: int, members: int | None) -> bool:
    if members is None or members <= 0:
        return answered == 0
    return answered < members * LOW_RATE
