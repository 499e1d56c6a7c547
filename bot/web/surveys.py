"""The surveys' web pages: an official opens a campaign for the CĐCS under their unit and
follows how many answered; members answer on their unit's link, anonymously, once per browser.

The members' page needs no session: the unit's token is the permission, and its one POST
passes the guard's member rule (the browser's cookie and a token derived from it; counted per
address). Who may open or see a campaign is the use cases' decision; a route turns
``NotYours`` into a 404.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from aiohttp import web

from bot.engine.form import Question
from bot.engine.messages import Msg
from bot.engine.page import Raw, relevant
from bot.web.directives import parse_day, qr_png
from bot.web.site import DEVICE_COOKIE, WebSite
from handlers.directives.publishing import Refused, manages, official_units
from handlers.reports.page import NotYours
from handlers.surveys.answering import SurveyPages, SurveyView
from handlers.surveys.campaigns import SURVEY_PAGE, Campaigns
from handlers.surveys.export import SurveyExport
from handlers.surveys.results import SurveyResultsDesk


@dataclass(frozen=True)
class SurveyUseCases:
    campaigns: Campaigns
    pages: SurveyPages
    results: SurveyResultsDesk
    export: SurveyExport


@dataclass(frozen=True)
class Field:
    """One question on the members' page."""

    q: Question
    label: str
    help: str
    choices: tuple[tuple[str, str, bool], ...]  # (key, label, picked)
    value: str
    error: str | None
    wide: bool  # a long text: a text area


def add(app: web.Application, site: WebSite, cases: SurveyUseCases) -> None:
    r = SurveyRoutes(site, cases)
    for method, path, handler in [
        ("GET", "/web/surveys", r.listing),
        ("GET", "/web/surveys/new", r.new_page),
        ("POST", "/web/surveys", r.create),
        ("GET", "/web/surveys/{id:\\d+}", r.page),
        ("GET", "/web/surveys/{id:\\d+}/results", r.results),
        ("GET", "/web/surveys/{id:\\d+}/export.xlsx", r.export),
        ("GET", SURVEY_PAGE + "{token}", r.member_page),
        ("POST", SURVEY_PAGE + "{token}", r.member_answer),
        ("GET", SURVEY_PAGE + "{token}/qr.png", r.member_qr),
    ]:
        app.router.add_route(method, path, handler)


class SurveyRoutes:
    def __init__(self, site: WebSite, cases: SurveyUseCases) -> None:
        self.site = site
        self.cases = cases

    def _today(self) -> date:
        return self.site.clock.now().astimezone(self.cases.campaigns.tz).date()

    # -- officials ------------------------------------------------------------------------------
    async def _choices(self, person_id: int) -> dict[str, Any]:
        async with self.site.uows() as uow:
            units = await official_units(uow, person_id)
            stored = {f.form_id for f in await uow.forms.current()}
        if not units:
            raise NotYours(0)
        forms = sorted({*stored, *self.cases.campaigns.shipped})
        return {"units": units, "forms": forms}

    async def listing(self, request: web.Request) -> web.StreamResponse:
        """The campaigns an official sees: opened in their subtree or above it."""
        actor = self.site.actor(request)
        async with self.site.uows() as uow:
            units = await official_units(uow, actor.person_id)
            campaigns = await uow.surveys.visible([u.path for u in units])
        if not units:
            raise NotYours(0)
        return self.site.render(request, "surveys.html", campaigns=campaigns)

    async def new_page(self, request: web.Request) -> web.StreamResponse:
        actor = self.site.actor(request)
        return self.site.render(request, "survey_new.html", error=None, values={},
                                **await self._choices(actor.person_id))

    async def create(self, request: web.Request) -> web.StreamResponse:
        actor = self.site.actor(request)
        form = await request.post()
        unit, starts, ends = (str(form.get(k, "")) for k in ("unit", "starts_on", "ends_on"))
        start, end = parse_day(starts), parse_day(ends)
        error: Msg | None = None
        if start is None or end is None:
            error = Msg("survey.bad_window", days=92)
        else:
            async with self.site.uows() as uow:
                try:
                    campaign = await self.cases.campaigns.open(
                        uow, actor, int(unit) if unit.isdigit() else 0,
                        str(form.get("form", "")), start, end, self.site.clock.now())
                    await self.site.commit(uow)
                    raise web.HTTPSeeOther(f"/web/surveys/{campaign.id}")
                except Refused as refused:
                    error = refused.msg
        values = {k: str(form.get(k, "")) for k in ("unit", "form", "starts_on", "ends_on")}
        return self.site.render(request, "survey_new.html", status=400, error=error,
                                values=values, **await self._choices(actor.person_id))

    async def page(self, request: web.Request) -> web.StreamResponse:
        actor = self.site.actor(request)
        async with self.site.uows() as uow:
            campaign = await uow.surveys.campaign(int(request.match_info["id"]))
            unit = await uow.units.get(campaign.unit_id) if campaign else None
            if campaign is None or unit is None or not manages(
                    await official_units(uow, actor.person_id), unit):
                raise NotYours(request.match_info["id"])
            links = await uow.surveys.units(campaign.id)
            answered = await uow.surveys.responses_by_unit(campaign.id)
        return self.site.render(request, "survey.html", campaign=campaign, unit=unit,
                                links=links, answered=answered,
                                total=sum(answered.values()))

    async def results(self, request: web.Request) -> web.StreamResponse:
        actor = self.site.actor(request)
        unit = request.query.get("unit", "")
        async with self.site.uows() as uow:
            found = await self.cases.results.results(
                uow, actor.person_id, int(request.match_info["id"]),
                int(unit) if unit.isdigit() else None, self.site.lang(request))
        return self.site.render(request, "survey_results.html", r=found)

    async def export(self, request: web.Request) -> web.StreamResponse:
        """The results as a workbook, for the reader's scope; the download is audited."""
        actor = self.site.actor(request)
        unit = request.query.get("unit", "")
        out = io.BytesIO()
        async with self.site.uows() as uow:
            found = await self.cases.export.write(
                uow, actor.person_id, int(request.match_info["id"]),
                int(unit) if unit.isdigit() else None, self.site.lang(request), out)
            await uow.audit.write("survey.exported", self.site.clock.now(),
                                  subject=f"survey:{found.campaign.id}",
                                  details={"unit": found.scope.code,
                                           "responses": found.responses},
                                  person_id=actor.person_id, identity_id=actor.identity_id)
            await uow.commit()
        name = f"khao-sat-{found.campaign.id}-{found.scope.code}.xlsx"
        return self.site.download(
            out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            name)

    # -- members (no session) -----------------------------------------------------------------
    async def member_page(self, request: web.Request) -> web.StreamResponse:
        cookie, fresh = self.site.device(request)
        async with self.site.uows() as uow:
            view = await self.cases.pages.open(uow, request.match_info["token"], cookie,
                                               self._today())
        if view is None:
            return self.site.not_found(request)
        response = self._render(request, view, cookie, {}, {},
                                thanks=request.query.get("sent") == "1")
        if fresh:
            self.site.set_device(response, cookie)
        return response

    async def member_answer(self, request: web.Request) -> web.StreamResponse:
        cookie = request.cookies.get(DEVICE_COOKIE)
        assert cookie is not None  # the guard refuses a member POST without it
        form = await request.post()
        raw: dict[str, Raw] = {}
        for name in set(form.keys()):
            if name.startswith("q."):
                values = [str(v) for v in form.getall(name)]
                key = name[2:].removesuffix("[]")
                raw[key] = values if name.endswith("[]") else values[0]
        token = request.match_info["token"]
        async with self.site.uows() as uow:
            view, filled, stored = await self.cases.pages.answer(
                uow, token, cookie, raw, self._today(), self.site.clock.now())
            await uow.commit()
        if view is None:
            return self.site.not_found(request)
        if stored or filled is None:
            raise web.HTTPSeeOther(f"{SURVEY_PAGE}{token}?sent=1" if stored
                                   else f"{SURVEY_PAGE}{token}")
        lang = self.site.lang(request)
        errors = {k: self.site.tr.render(lang, m) for k, m in filled.errors.items()}
        # What was refused is shown again as typed, beside its reason.
        shown = {**filled.session.answers, **{k: raw[k] for k in filled.errors if k in raw}}
        return self._render(request, view, cookie, shown, errors, status=400)

    async def member_qr(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        base = self.cases.campaigns.base_url()
        async with self.site.uows() as uow:
            view = await self.cases.pages.open(uow, token, None, self._today())
        if view is None or base is None:
            return self.site.not_found(request)
        return web.Response(body=qr_png(f"{base.rstrip('/')}{SURVEY_PAGE}{token}"),
                            content_type="image/png")

    def _render(self, request: web.Request, view: SurveyView, cookie: str,
                answers: dict[str, Any], errors: dict[str, str], *, status: int = 200,
                thanks: bool = False) -> web.Response:
        lang = self.site.lang(request)
        fields = [_field(q, lang, answers, errors) for q in view.form.questions
                  if relevant(q, answers)]
        return self.site.render(request, "survey_member.html", status=status, view=view,
                                fields=fields, member_csrf=self.site.member_csrf(cookie),
                                thanks=thanks, has_errors=bool(errors),
                                title=view.form.title_text(lang))


def _field(q: Question, lang: str, answers: dict[str, Any], errors: dict[str, str]) -> Field:
    given = answers.get(q.key)
    picked = {str(v) for v in given} if isinstance(given, list) else (
        {str(given)} if given is not None else set())
    choices = tuple((c.key, c.text(lang), c.key in picked) for c in q.choices)
    value = "" if q.choices or given is None or isinstance(given, list) else str(given)
    return Field(q, q.text(lang), q.help.get(lang) or q.help.get("vi", "") if q.help else "",
                 choices, value, errors.get(q.key),
                 q.type == "text" and (q.max_length or 1000) > 200)
