"""The officials' workplace on the web: overview, hot-spot board and pages, reports, the
reporting ledger and the Excel export of their subtrees.

Every route starts from the signed-in person's seat (``handlers.workplace.seat``): a unit id
from a query string must lie in one of their subtrees and a hot spot's number must too, or
the page is the same 404 as a missing one. Free text is read through the one rule of
privacy by level. Acting on a hot spot is the chat's use case on a page's turn
(``Hotspots.act``): the reporter and the other officials hear of it in their chats, as when
the button is pressed there. POSTs have passed the guard's CSRF check.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.web.site import WebSite
from handlers.exports.desk import XLSX, ExportDesk
from handlers.exports.period import parse_period, recent_periods
from handlers.reports.page import NotYours
from handlers.workplace.hotspots import TABS, BoardFilter, Hotspots
from handlers.workplace.ledger import Ledger
from handlers.workplace.overview import Overview
from handlers.workplace.reports import ReportFilter, ReportList
from handlers.workplace.seat import Seat, seat_of, unit_for
from storage.models import OrgUnit
from storage.uow import UnitOfWork

WORKPLACE = "/web/workplace"


@dataclass(frozen=True)
class WorkplaceUseCases:
    overview: Overview
    hotspots: Hotspots
    reports: ReportList
    ledger: Ledger
    exports: ExportDesk
    severities: tuple[str, ...]


def add(app: web.Application, site: WebSite, cases: WorkplaceUseCases) -> None:
    r = WorkplaceRoutes(site, cases)
    for method, path, handler in [
        ("GET", WORKPLACE, r.overview),
        ("GET", WORKPLACE + "/chart.png", r.chart),
        ("GET", WORKPLACE + "/hotspots", r.board),
        ("GET", WORKPLACE + "/hotspots/{id:\\d+}", r.hotspot),
        ("POST", WORKPLACE + "/hotspots/{id:\\d+}/{action:[a-z]+}", r.act),
        ("GET", WORKPLACE + "/reports", r.reports),
        ("GET", WORKPLACE + "/ledger", r.ledger),
        ("GET", WORKPLACE + "/export", r.export_page),
        ("GET", WORKPLACE + "/export.xlsx", r.export),
    ]:
        app.router.add_route(method, path, handler)


def number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


class WorkplaceRoutes:
    def __init__(self, site: WebSite, cases: WorkplaceUseCases) -> None:
        self.site = site
        self.cases = cases

    async def _seat(self, uow: UnitOfWork, request: web.Request, *,
                    officials_only: bool = True) -> Seat:
        seat = await seat_of(uow, self.site.visitor_or_401(request))
        if officials_only and not seat.official:
            raise NotYours(0)
        return seat

    async def _scope(self, uow: UnitOfWork, request: web.Request, seat: Seat
                     ) -> tuple[OrgUnit, list[OrgUnit]]:
        """The unit the page is about (``?unit=``; inside the seat's subtrees) and the units
        its filter offers."""
        unit = await unit_for(uow, seat, number(request.query.get("unit")))
        return unit, list(await uow.units.branches(seat.paths))

    def _page(self, request: web.Request) -> int:
        return min(number(request.query.get("page")) or 0, 10_000)

    # -- overview --------------------------------------------------------------------------
    async def overview(self, request: web.Request) -> web.StreamResponse:
        lang = self.site.lang(request)
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request)
            unit, units = await self._scope(uow, request, seat)
            view = await self.cases.overview.view(uow, unit, self.site.clock.now(), lang)
        return self.site.render(request, "workplace_overview.html", view=view, units=units,
                                unit=unit, nav="overview")

    async def chart(self, request: web.Request) -> web.StreamResponse:
        lang = self.site.lang(request)
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request)
            unit, _ = await self._scope(uow, request, seat)
            figures = await self.cases.overview.figures(
                uow, unit, self.site.clock.now(), lang, self.cases.overview.rule.chart_weeks)
        png = await asyncio.to_thread(self.cases.overview.chart, lang, figures)
        return web.Response(body=png, content_type="image/png")

    # -- hot spots -------------------------------------------------------------------------
    async def board(self, request: web.Request) -> web.StreamResponse:
        lang, q = self.site.lang(request), request.query
        tab = q.get("tab", "open") if q.get("tab") in TABS else "open"
        severity = q.get("severity") if q.get("severity") in self.cases.severities else None
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request)
            unit, units = await self._scope(uow, request, seat)
            chosen = unit if q.get("unit") else None
            f = BoardFilter(tab, chosen, severity, number(q.get("days")))
            board = await self.cases.hotspots.board(uow, seat, f, self.site.clock.now(), lang,
                                                    self._page(request))
        return self.site.render(request, "workplace_hotspots.html", board=board, f=f,
                                units=units, unit=unit, tabs=list(TABS), nav="hotspots",
                                severities=self.cases.severities, page=self._page(request),
                                query=_query(request, "page"))

    async def hotspot(self, request: web.Request, said: list[str] | None = None,
                      error: str | None = None) -> web.StreamResponse:
        lang = self.site.lang(request)
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request)
            view = await self.cases.hotspots.view(uow, seat, int(request.match_info["id"]),
                                                  self.site.clock.now(), lang)
        return self.site.render(request, "workplace_hotspot.html", v=view, said=said or [],
                                error=error, nav="hotspots")

    async def act(self, request: web.Request) -> web.StreamResponse:
        number = int(request.match_info["id"])
        form = await request.post()
        who = self.site.visitor_or_401(request)
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request)
            found = await uow.incidents.with_report(number)
            if found is None or not seat.covers(found[2]):
                raise NotYours(number)
            turn = await self.site.pages.turn(uow, who, self.site.clock.now())
            refused = await self.cases.hotspots.act(
                turn, request.match_info["action"], number, str(form.get("note", "")))
            await turn.flush()
            await self.site.commit(uow)
        lang = self.site.lang(request)
        error = self.site.tr.render(lang, refused) if refused is not None else None
        return await self.hotspot(request, said=turn.shown, error=error)

    # -- reports ---------------------------------------------------------------------------
    async def reports(self, request: web.Request) -> web.StreamResponse:
        lang, q = self.site.lang(request), request.query
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request, officials_only=False)
            if not seat.official and not seat.chairs:
                raise NotYours(0)
            unit = await self._report_unit(uow, seat, number(q.get("unit")))
            units = list(await uow.units.branches(seat.paths))
            f = ReportFilter(unit, q.get("period", "")[:16], q.get("form", "")[:64],
                             q.get("category", "")[:64], q.get("severity", "")[:64],
                             q.get("q", "")[:100])
            found = await self.cases.reports.page(uow, seat, f, lang, self._page(request))
        lists = {role: self.cases.reports.choices(lang, role)
                 for role in ("form", "category", "severity")}
        return self.site.render(request, "workplace_reports.html", found=found, f=f,
                                units=units, lists=lists, official=seat.official,
                                nav="reports", page=self._page(request),
                                query=_query(request, "page"))

    @staticmethod
    async def _report_unit(uow: UnitOfWork, seat: Seat, unit_id: int | None) -> OrgUnit | None:
        """The report list's unit: any in an official's subtrees, a chair's own only."""
        if unit_id is None:
            return None
        if seat.official:
            return await unit_for(uow, seat, unit_id)
        own = next((u for u in seat.chairs if u.id == unit_id), None)
        if own is None:
            raise NotYours(unit_id)
        return own

    # -- the ledger ------------------------------------------------------------------------
    async def ledger(self, request: web.Request) -> web.StreamResponse:
        lang, q = self.site.lang(request), request.query
        today = self.site.clock.now().astimezone(self.cases.overview.tz).date()
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request)
            unit, units = await self._scope(uow, request, seat)
            view = await self.cases.ledger.view(uow, unit, q.get("kind", ""), today, lang,
                                                self._page(request), q.get("waiting"))
        return self.site.render(request, "workplace_ledger.html", v=view, unit=unit,
                                units=units, nav="ledger", page=self._page(request),
                                query=_query(request, "page"))

    # -- the export ------------------------------------------------------------------------
    async def export_page(self, request: web.Request) -> web.StreamResponse:
        today = self.site.clock.now().astimezone(self.cases.overview.tz).date()
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request)
            unit, units = await self._scope(uow, request, seat)
        return self.site.render(request, "workplace_export.html", unit=unit, units=units,
                                periods=[p.key for p in recent_periods(today)], nav="export")

    async def export(self, request: web.Request) -> web.StreamResponse:
        period = parse_period(request.query.get("period", ""))
        who = self.site.visitor_or_401(request)
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request)
            unit, _ = await self._scope(uow, request, seat)
            if period is None:
                return self.site.notice(request, "workplace.bad_period", status=400)
            name, data = await self.cases.exports.download(
                uow, who.person_id, who.identity_id, unit, period, self.site.clock.now())
            await uow.commit()
        return self.site.download(data, XLSX, name)


def _query(request: web.Request, without: str) -> dict[str, Any]:
    """The page's query without one key (the pager's links keep the filters)."""
    return {k: v for k, v in request.query.items() if k != without}
