"""The workplace's API page: an administrator makes a token for a unit of their subtree (its
secret shown once, on the page that made it), sees the subtree's tokens and when each was
last used, and revokes one. Who may is ``handlers.api.tokens``'s decision (404 otherwise)."""

from __future__ import annotations

from aiohttp import web

from bot.web.site import WebSite
from bot.web.workplace import WORKPLACE, number
from handlers.api.tokens import ApiTokens
from handlers.workplace.seat import seat_of, unit_for


def add(app: web.Application, site: WebSite, tokens: ApiTokens) -> None:
    r = TokenRoutes(site, tokens)
    app.router.add_get(WORKPLACE + "/api", r.page)
    app.router.add_post(WORKPLACE + "/api", r.make)
    app.router.add_post(WORKPLACE + "/api/{id:\\d+}/revoke", r.revoke)


class TokenRoutes:
    def __init__(self, site: WebSite, tokens: ApiTokens) -> None:
        self.site = site
        self.tokens = tokens

    async def page(self, request: web.Request, secret: str | None = None
                   ) -> web.StreamResponse:
        async with self.site.uows() as uow:
            seat = await seat_of(uow, self.site.visitor_or_401(request))
            rows = await self.tokens.listing(uow, seat)
            units = list(await uow.units.branches(
                [u.path for u in self.tokens.admin_units(seat)]))
        tz = self.site.pages.tz
        return self.site.render(
            request, "workplace_api.html", nav="api", units=units, unit=None, secret=secret,
            rows=[(t, u, f"{t.last_used_at.astimezone(tz):%H:%M %d/%m/%Y}"
                   if t.last_used_at else "") for t, u in rows])

    async def make(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        async with self.site.uows() as uow:
            seat = await seat_of(uow, self.site.visitor_or_401(request))
            unit = await unit_for(uow, seat, number(str(form.get("unit", ""))))
            secret = await self.tokens.make(uow, seat, unit, str(form.get("name", "")),
                                            self.site.clock.now())
            await uow.commit()
        return await self.page(request, secret)

    async def revoke(self, request: web.Request) -> web.StreamResponse:
        async with self.site.uows() as uow:
            seat = await seat_of(uow, self.site.visitor_or_401(request))
            await self.tokens.revoke(uow, seat, int(request.match_info["id"]),
                                     self.site.clock.now())
            await uow.commit()
        raise web.HTTPSeeOther(WORKPLACE + "/api")
