"""Units and people in the web workplace: the tree with who is enrolled, invites for a
subtree (made, listed, revoked, printed as a QR sheet), people's roles (removed, a chair
replaced) and the tree's import from a file.

Who may do what is ``handlers.people.roster``'s decision; a route turns ``NotYours`` into a
404. The sheet's cards carry the Telegram deep link in their QR and how to start on Zalo in
words, built here from the service's configuration (use cases name no channel).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.engine.messages import Msg
from bot.web.directives import qr_png
from bot.web.site import WebSite
from bot.web.workplace import WORKPLACE, number
from handlers.people import invite_sheet
from handlers.people.roster import Roster
from handlers.reports.page import NotYours
from handlers.workplace.seat import Seat, seat_of, unit_for
from storage.models import Invite, OrgUnit
from storage.uow import UnitOfWork

PDF = "application/pdf"


@dataclass(frozen=True)
class Starting:
    """How a new chair starts: the Telegram bot's deep link for a code (None without a
    configured username) and the Zalo bots' names."""

    telegram_link: Callable[[str], str | None]
    zalo_bots: tuple[str, ...]


def add(app: web.Application, site: WebSite, roster: Roster, starting: Starting) -> None:
    r = RosterRoutes(site, roster, starting)
    for method, path, handler in [
        ("GET", WORKPLACE + "/units", r.tree),
        ("POST", WORKPLACE + "/units/import", r.import_file),
        ("GET", WORKPLACE + "/invites", r.invites),
        ("POST", WORKPLACE + "/invites", r.bulk),
        ("POST", WORKPLACE + "/invites/{id:\\d+}/revoke", r.revoke),
        ("GET", WORKPLACE + "/invites/sheet.pdf", r.sheet_pdf),
        ("GET", WORKPLACE + "/invites/sheet.png", r.sheet_png),
        ("GET", WORKPLACE + "/people", r.people),
        ("POST", WORKPLACE + "/people/{id:\\d+}/remove", r.remove),
        ("POST", WORKPLACE + "/people/{id:\\d+}/replace", r.replace),
    ]:
        app.router.add_route(method, path, handler)


class RosterRoutes:
    def __init__(self, site: WebSite, roster: Roster, starting: Starting) -> None:
        self.site = site
        self.roster = roster
        self.starting = starting

    async def _seat(self, uow: UnitOfWork, request: web.Request) -> Seat:
        seat = await seat_of(uow, self.site.visitor_or_401(request))
        if not self.roster.managers(seat):
            raise NotYours(0)
        return seat

    async def _unit(self, uow: UnitOfWork, seat: Seat, value: Any) -> OrgUnit:
        """The unit asked for (the highest the person manages when none), checked."""
        given = number(str(value or ""))
        unit = await unit_for(uow, seat, given) if given is not None \
            else self.roster.managers(seat)[0]
        self.roster.check(seat, unit)
        return unit

    async def _branches(self, uow: UnitOfWork, seat: Seat) -> list[OrgUnit]:
        return list(await uow.units.branches([u.path for u in self.roster.managers(seat)]))

    # -- the tree ---------------------------------------------------------------------------
    async def tree(self, request: web.Request, result: Any = None) -> web.StreamResponse:
        page = min(number(request.query.get("page")) or 0, 10_000)
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request)
            unit = await self._unit(uow, seat, request.query.get("unit"))
            view = await self.roster.tree(uow, seat, unit, self.site.clock.now(), page)
            units = await self._branches(uow, seat)
        return self.site.render(request, "workplace_tree.html", v=view, unit=unit, units=units,
                                nav="units", page=page, result=result,
                                query={k: v for k, v in request.query.items() if k != "page"})

    async def import_file(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        upload = form.get("file")
        data = upload.file.read() if isinstance(upload, web.FileField) else b""
        name = str(getattr(upload, "filename", "") or "")
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request)
            result = await self.roster.import_file(uow, seat, data, name, self.site.clock.now())
            if not result.errors:
                await self.site.commit(uow)
        lang = self.site.lang(request)
        said = {"errors": [self.site.tr.render(lang, m) for m in result.errors],
                "warnings": [self.site.tr.render(lang, m) for m in result.warnings],
                "added": result.added, "updated": result.updated}
        return await self.tree(request, result=said)

    # -- invites ----------------------------------------------------------------------------
    async def invites(self, request: web.Request) -> web.StreamResponse:
        made = number(request.query.get("made"))
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request)
            unit = await self._unit(uow, seat, request.query.get("unit"))
            rows = await self.roster.invites(uow, seat, unit, self.site.clock.now())
            units = await self._branches(uow, seat)
        tz = self.site.pages.tz
        return self.site.render(
            request, "workplace_invites.html", unit=unit, units=units, nav="invites",
            rows=[(i, u, f"{i.expires_at.astimezone(tz):%d/%m/%Y}") for i, u in rows],
            made=made)

    async def bulk(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request)
            unit = await self._unit(uow, seat, form.get("unit"))
            made = await self.roster.bulk(uow, seat, unit, self.site.clock.now())
            await self.site.commit(uow)
        raise web.HTTPSeeOther(f"{WORKPLACE}/invites?unit={unit.id}&made={len(made)}")

    async def revoke(self, request: web.Request) -> web.StreamResponse:
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request)
            unit = await self.roster.revoke(uow, seat, int(request.match_info["id"]),
                                            self.site.clock.now())
            await self.site.commit(uow)
        raise web.HTTPSeeOther(f"{WORKPLACE}/invites?unit={unit.id}")

    async def _cards(self, request: web.Request) -> tuple[list[invite_sheet.Card], str]:
        lang = self.site.lang(request)
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request)
            unit = await self._unit(uow, seat, request.query.get("unit"))
            rows = await self.roster.invites(uow, seat, unit, self.site.clock.now())
        cards = [self._card(lang, invite, where) for invite, where in rows
                 if invite.role == "chair"]
        return cards, self.site.tr.text(lang, "roster.sheet_heading", unit=unit.name)

    def _card(self, lang: str, invite: Invite, unit: OrgUnit) -> invite_sheet.Card:
        def t(key: str, **params: Any) -> str:
            return self.site.tr.render(lang, Msg(key, **params))

        link = self.starting.telegram_link(invite.code)
        lines = [t("roster.card_telegram", link=link.removeprefix("https://"))
                 if link else t("roster.card_telegram_code", code=invite.code)]
        if self.starting.zalo_bots:
            lines.append(t("roster.card_zalo", bots=" / ".join(self.starting.zalo_bots),
                           code=invite.code))
        return invite_sheet.Card(unit.name, invite.code, link or invite.code, tuple(lines))

    async def sheet_pdf(self, request: web.Request) -> web.StreamResponse:
        cards, heading = await self._cards(request)
        data = await asyncio.to_thread(invite_sheet.pdf, cards, heading)
        return self.site.download(data, PDF, "ma-moi.pdf")

    async def sheet_png(self, request: web.Request) -> web.StreamResponse:
        cards, heading = await self._cards(request)
        page = number(request.query.get("page")) or 1
        data = await asyncio.to_thread(invite_sheet.png, cards, heading, page)
        return web.Response(body=data, content_type="image/png")

    # -- people -----------------------------------------------------------------------------
    async def people(self, request: web.Request, replaced: Any = None) -> web.StreamResponse:
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request)
            unit = await self._unit(uow, seat, request.query.get("unit"))
            rows = await self.roster.people(uow, seat, unit)
            units = await self._branches(uow, seat)
        return self.site.render(request, "workplace_people.html", unit=unit, units=units,
                                rows=rows, nav="people", me=seat.visitor.person_id,
                                replaced=replaced)

    async def remove(self, request: web.Request) -> web.StreamResponse:
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request)
            unit = await self.roster.remove(uow, seat, int(request.match_info["id"]),
                                            self.site.clock.now())
            await self.site.commit(uow)
        raise web.HTTPSeeOther(f"{WORKPLACE}/people?unit={unit.parent_id or unit.id}")

    async def replace(self, request: web.Request) -> web.StreamResponse:
        async with self.site.uows() as uow:
            seat = await self._seat(uow, request)
            made, unit = await self.roster.replace_chair(uow, seat, int(request.match_info["id"]),
                                                   self.site.clock.now())
            await self.site.commit(uow)
        link = self.starting.telegram_link(made.code)
        qr = qr_png(link or made.code)
        return await self.people(request, replaced={
            "code": made.code, "unit": unit.name, "link": link,
            "qr": "data:image/png;base64," + base64.b64encode(qr).decode()})
