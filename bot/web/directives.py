"""The directives' web pages: an official writes, reviews, publishes, corrects and withdraws
a directive and follows its ledger; a chair reads it and answers; members open their unit's
link, read and confirm "Tôi đã đọc".

Officials' and chairs' pages need a session like every page; the members' pages need none:
the unit's random token is the whole of the permission (it opens one directive for one unit),
and their one POST passes the guard's member rule (a per-browser cookie and a token derived
from it under the server's key; counted per address). Every decision of who may see or do
what is the use cases' (handlers.directives): a route turns ``NotYours`` into a 404.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import segno
from aiohttp import web

from bot.engine.messages import Msg
from bot.web.site import DEVICE_COOKIE, WebSite
from handlers.directives.answers import Answers, Dissemination
from handlers.directives.members import MemberPages
from handlers.directives.messages import MEMBER_PAGE
from handlers.directives.publishing import (
    ASKS,
    Publishing,
    Refused,
    Written,
    official_units,
)
from handlers.directives.viewing import DirectiveViewing
from handlers.reports.page import NotYours

_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class DirectiveUseCases:
    publishing: Publishing
    answers: Answers
    viewing: DirectiveViewing
    members: MemberPages


def add(app: web.Application, site: WebSite, cases: DirectiveUseCases) -> None:
    r = DirectiveRoutes(site, cases)
    for method, path, handler in [
        ("GET", "/web/directives", r.listing),
        ("GET", "/web/directives/new", r.new_page),
        ("POST", "/web/directives", r.create),
        ("GET", "/web/directives/{id:\\d+}", r.page),
        ("GET", "/web/directives/{id:\\d+}/file", r.file),
        ("GET", "/web/directives/{id:\\d+}/edit", r.edit_page),
        ("POST", "/web/directives/{id:\\d+}/correct", r.correct),
        ("POST", "/web/directives/{id:\\d+}/publish", r.publish),
        ("POST", "/web/directives/{id:\\d+}/discard", r.discard),
        ("POST", "/web/directives/{id:\\d+}/withdraw", r.withdraw),
        ("GET", "/web/directives/r/{id:\\d+}", r.unit_page),
        ("GET", "/web/directives/r/{id:\\d+}/qr.png", r.unit_qr),
        ("POST", "/web/directives/r/{id:\\d+}/received", r.received),
        ("POST", "/web/directives/r/{id:\\d+}/disseminated", r.disseminated),
        ("GET", MEMBER_PAGE + "{token}", r.member_page),
        ("GET", MEMBER_PAGE + "{token}/file", r.member_file),
        ("GET", MEMBER_PAGE + "{token}/qr.png", r.member_qr),
        ("POST", MEMBER_PAGE + "{token}/read", r.member_read),
    ]:
        app.router.add_route(method, path, handler)


def parse_day(text: str) -> date | None:
    """A day as the date field sends it (2026-12-10) or as typed (10/12/2026)."""
    text = text.strip()
    try:
        if m := _DAY.match(text):
            return date(int(m[3]), int(m[2]), int(m[1]))
        return date.fromisoformat(text)
    except ValueError:
        return None


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


class DirectiveRoutes:
    def __init__(self, site: WebSite, cases: DirectiveUseCases) -> None:
        self.site = site
        self.cases = cases

    def _today(self) -> date:
        return self.cases.publishing.today(self.site.clock.now())

    def _member_url(self, token: str) -> str | None:
        base = self.cases.publishing.base_url()
        return f"{base.rstrip('/')}{MEMBER_PAGE}{token}" if base else None

    # -- officials ------------------------------------------------------------------------------
    async def listing(self, request: web.Request) -> web.StreamResponse:
        actor = self.site.actor(request)
        async with self.site.uows() as uow:
            units = await official_units(uow, actor.person_id)
            items = await self.cases.viewing.listing(uow, actor.person_id, self._today())
        if not units:
            raise NotYours(0)
        return self.site.render(request, "directives.html", items=items)

    async def _form_context(self, person_id: int) -> dict[str, Any]:
        async with self.site.uows() as uow:
            units = await official_units(uow, person_id)
            below = {}
            for unit in units:
                ids = await uow.directives.audience(unit.path)
                below[unit.id] = list((await uow.units.many(ids)).values())
        if not units:
            raise NotYours(0)
        return {"units": units, "below": below, "asks": ASKS}

    async def new_page(self, request: web.Request) -> web.StreamResponse:
        actor = self.site.actor(request)
        context = await self._form_context(actor.person_id)
        return self.site.render(request, "directive_form.html", values={}, error=None,
                                directive=None, **context)

    async def _written(self, form: Any) -> tuple[Written, Msg | None]:
        due = parse_day(str(form.get("due_on", "")))
        upload = form.get("file")
        data = upload.file.read() if hasattr(upload, "file") else None
        written = Written(
            str(form.get("title", "")), str(form.get("body", "")), due or date.min,
            str(form.get("asks", "")),
            tuple(int(u) for u in form.getall("units", []) if str(u).isdigit()),
            getattr(upload, "filename", None) if data else None, data or None)
        return written, None if due is not None else Msg("directive.bad_due")

    async def create(self, request: web.Request) -> web.StreamResponse:
        actor = self.site.actor(request)
        form = await request.post()
        written, error = await self._written(form)
        unit = str(form.get("unit", ""))
        if error is None:
            async with self.site.uows() as uow:
                try:
                    directive = await self.cases.publishing.write(
                        uow, actor, int(unit) if unit.isdigit() else 0, written,
                        self.site.clock.now())
                    await self.site.commit(uow)
                    raise web.HTTPSeeOther(f"/web/directives/{directive.id}")
                except Refused as refused:
                    error = refused.msg
        context = await self._form_context(actor.person_id)
        return self.site.render(request, "directive_form.html", status=400, directive=None,
                                values=_values(form), error=error, **context)

    async def page(self, request: web.Request) -> web.StreamResponse:
        actor = self.site.actor(request)
        async with self.site.uows() as uow:
            view = await self.cases.viewing.view(uow, actor.person_id,
                                                 int(request.match_info["id"]), self._today())
        return self.site.render(request, "directive.html", view=view,
                                done=request.query.get("done", ""))

    async def file(self, request: web.Request) -> web.StreamResponse:
        actor = self.site.actor(request)
        async with self.site.uows() as uow:
            directive = await self.cases.viewing.document(
                uow, actor.person_id, int(request.match_info["id"]), self._today())
        return _document(directive.file_name or "", directive.file_mime or "",
                         directive.file_data or b"")

    async def edit_page(self, request: web.Request) -> web.StreamResponse:
        actor = self.site.actor(request)
        async with self.site.uows() as uow:
            view = await self.cases.viewing.view(uow, actor.person_id,
                                                 int(request.match_info["id"]), self._today())
        if not view.manages or view.directive.status != "published":
            raise NotYours(view.directive.id)
        d = view.directive
        values = {"title": d.title, "body": d.body, "due_on": d.due_on.isoformat(),
                  "asks": d.asks}
        return self.site.render(request, "directive_form.html", values=values, error=None,
                                directive=d, units=[], below={}, asks=ASKS)

    async def correct(self, request: web.Request) -> web.StreamResponse:
        actor = self.site.actor(request)
        form = await request.post()
        written, error = await self._written(form)
        number = int(request.match_info["id"])
        if error is None:
            async with self.site.uows() as uow:
                try:
                    await self.cases.publishing.correct(uow, actor, number, written,
                                                        self.site.clock.now())
                    await self.site.commit(uow)
                    raise web.HTTPSeeOther(f"/web/directives/{number}?done=corrected")
                except Refused as refused:
                    error = refused.msg
        async with self.site.uows() as uow:
            view = await self.cases.viewing.view(uow, actor.person_id, number, self._today())
        return self.site.render(request, "directive_form.html", status=400,
                                directive=view.directive, values=_values(form), error=error,
                                units=[], below={}, asks=ASKS)

    async def publish(self, request: web.Request) -> web.StreamResponse:
        return await self._act(request, "publish", "published")

    async def discard(self, request: web.Request) -> web.StreamResponse:
        actor = self.site.actor(request)
        async with self.site.uows() as uow:
            try:
                await self.cases.publishing.discard(uow, actor, int(request.match_info["id"]),
                                                    self.site.clock.now())
            except Refused as refused:
                return self.site.notice(request, refused.msg.key, status=409,
                                        **refused.msg.params)
            await self.site.commit(uow)
        raise web.HTTPSeeOther("/web/directives")

    async def withdraw(self, request: web.Request) -> web.StreamResponse:
        return await self._act(request, "withdraw", "withdrawn")

    async def _act(self, request: web.Request, action: str, done: str) -> web.StreamResponse:
        actor = self.site.actor(request)
        number = int(request.match_info["id"])
        async with self.site.uows() as uow:
            try:
                await getattr(self.cases.publishing, action)(uow, actor, number,
                                                             self.site.clock.now())
            except Refused as refused:
                return self.site.notice(request, refused.msg.key, status=409,
                                        **refused.msg.params)
            await self.site.commit(uow)
        raise web.HTTPSeeOther(f"/web/directives/{number}?done={done}")

    # -- a chair's page of their unit's row -------------------------------------------------
    async def unit_page(self, request: web.Request, error: Msg | None = None,
                        status: int = 200) -> web.StreamResponse:
        actor = self.site.actor(request)
        async with self.site.uows() as uow:
            row, directive, unit = await self.cases.answers.mine(
                uow, actor.person_id, int(request.match_info["id"]))
        return self.site.render(
            request, "directive_unit.html", status=status, row=row, directive=directive,
            unit=unit, methods=self.cases.answers.method_names(self.site.lang(request)),
            error=error, member_url=self._member_url(row.token),
            today=self._today().isoformat(), done=request.query.get("done", ""))

    async def unit_qr(self, request: web.Request) -> web.StreamResponse:
        actor = self.site.actor(request)
        async with self.site.uows() as uow:
            row, _, _ = await self.cases.answers.mine(uow, actor.person_id,
                                                      int(request.match_info["id"]))
        return _qr(self._member_url(row.token))

    async def received(self, request: web.Request) -> web.StreamResponse:
        actor = self.site.actor(request)
        number = int(request.match_info["id"])
        async with self.site.uows() as uow:
            try:
                await self.cases.answers.receive(uow, actor, number, self.site.clock.now())
            except Refused as refused:
                return await self.unit_page(request, refused.msg, 409)
            await self.site.commit(uow)
        raise web.HTTPSeeOther(f"/web/directives/r/{number}?done=received")

    async def disseminated(self, request: web.Request) -> web.StreamResponse:
        actor = self.site.actor(request)
        number = int(request.match_info["id"])
        form = await request.post()
        reached, on = str(form.get("reached", "")).replace(".", "").strip(), parse_day(
            str(form.get("on", "")))
        if not reached.isdigit() or on is None:
            return await self.unit_page(request, Msg(
                "directive.bad_reached_on" if reached.isdigit() else "error.integer"), 400)
        given = Dissemination(int(reached), on, str(form.get("method", "")))
        async with self.site.uows() as uow:
            try:
                await self.cases.answers.disseminate(uow, actor, number, given,
                                                     self.site.clock.now())
            except Refused as refused:
                return await self.unit_page(request, refused.msg, 400)
            await self.site.commit(uow)
        raise web.HTTPSeeOther(f"/web/directives/r/{number}?done=disseminated")

    # -- members (no session) -----------------------------------------------------------------
    async def member_page(self, request: web.Request) -> web.StreamResponse:
        counted = {"1": True, "0": False}.get(request.query.get("read", ""))
        device, fresh = self.site.device(request)
        async with self.site.uows() as uow:
            view = await self.cases.members.open(uow, request.match_info["token"], device)
        if view is None:
            return self.site.not_found(request)
        response = self.site.render(request, "member.html", view=view,
                                    member_csrf=self.site.member_csrf(device),
                                    counted=counted)
        if fresh:
            self.site.set_device(response, device)
        return response

    async def member_read(self, request: web.Request) -> web.StreamResponse:
        device = request.cookies.get(DEVICE_COOKIE)
        assert device is not None  # the guard refuses a member POST without it
        async with self.site.uows() as uow:
            view, counted = await self.cases.members.confirm(
                uow, request.match_info["token"], device, self.site.clock.now())
            await uow.commit()
        if view is None:
            return self.site.not_found(request)
        # Back to the page (a reload does not post again), saying whether it counted.
        raise web.HTTPSeeOther(f"{MEMBER_PAGE}{view.recipient.token}?read="
                               f"{1 if counted else 0}")

    async def member_file(self, request: web.Request) -> web.StreamResponse:
        async with self.site.uows() as uow:
            view = await self.cases.members.open(uow, request.match_info["token"], None)
        if view is None or view.directive.file_data is None:
            return self.site.not_found(request)
        d = view.directive
        return _document(d.file_name or "", d.file_mime or "", d.file_data or b"")

    async def member_qr(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        async with self.site.uows() as uow:
            view = await self.cases.members.open(uow, token, None)
        if view is None:
            return self.site.not_found(request)
        return _qr(self._member_url(token))


def _values(form: Any) -> dict[str, str]:
    return {k: str(form.get(k, "")) for k in ("title", "body", "due_on", "asks", "unit")}


def _document(name: str, mime: str, data: bytes) -> web.StreamResponse:
    """The stored document, always as a download: never shown as a page of ours."""
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_"
                         for c in name) or "van-ban"
    return web.Response(body=data, headers={
        "Content-Type": mime or "application/octet-stream",
        "Content-Disposition": f'attachment; filename="{ascii_name}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=300"})


def _qr(url: str | None) -> web.StreamResponse:
    if url is None:
        raise web.HTTPNotFound()
    return web.Response(body=qr_png(url), content_type="image/png",
                        headers={"Cache-Control": "private, max-age=86400"})
