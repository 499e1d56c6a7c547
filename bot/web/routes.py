"""The web pages' routes: each reads its request, calls one use case, renders one page.

Every route but the sign-in page's needs a session; every POST has passed the CSRF check in
the guard (bot.web.site), so no route checks it again or can forget to. A route that takes an
id hands it to the use case, which refuses what is not the person's (``NotYours`` -> 404).
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.engine.session import CONFIRM
from bot.web.site import COOKIE, PRE_COOKIE, SIGNED, WebSite
from handlers.conversation.own_commands import RAPID_FORM
from handlers.conversation.turn import OFFICIAL_ROLES
from handlers.reports.page import Draft, NotYours, Saved, Visitor

PAGES = "/web"


def add(app: web.Application, site: WebSite) -> None:
    r = Routes(site)
    table = [
        ("GET", "/web", r.home), ("GET", "/web/", r.home),
        ("GET", "/web/login/{secret}", r.login_page),
        ("POST", "/web/login/{secret}", r.login),
        ("POST", "/web/logout", r.logout),
        ("POST", "/web/start", r.start),
        ("GET", "/web/periodic/{id:\\d+}", r.periodic_page),
        ("POST", "/web/periodic/{id:\\d+}", r.periodic),
        ("GET", "/web/drafts/{id:\\d+}", r.draft),
        ("POST", "/web/drafts/{id:\\d+}", r.save),
        ("POST", "/web/drafts/{id:\\d+}/answer", r.answer),
        ("POST", "/web/drafts/{id:\\d+}/files/remove", r.remove_file),
        ("GET", "/web/drafts/{id:\\d+}/card", r.card),
        ("POST", "/web/drafts/{id:\\d+}/send", r.send),
        ("POST", "/web/drafts/{id:\\d+}/cancel", r.cancel),
        ("GET", "/web/reports/{id:\\d+}", r.report),
        ("GET", "/web/media/{token}/{until}/{mac}", r.media),
    ]
    for method, path, handler in table:
        app.router.add_route(method, path, handler)
    app.router.add_static("/web/static", Path(__file__).parent / "static", show_index=False)


class Routes:
    def __init__(self, site: WebSite) -> None:
        self.site = site

    def _who(self, request: web.Request) -> Visitor:
        who = self.site.visitor(request)
        if who is None:
            raise _Signed()
        return who

    # -- sign-in ----------------------------------------------------------------------------
    async def home(self, request: web.Request) -> web.StreamResponse:
        who = self.site.visitor(request)
        if who is None:
            return self.site.notice(request, "web.signed_out", status=401)
        async with self.site.uows() as uow:
            turn = await self.site.pages.turn(uow, who, self.site.clock.now())
            draft = await self.site.pages.draft(turn)
            chairs = [u for m, u in await turn.memberships() if m.role == "chair"]
            offered = await self.site.pages.periodic.offered(turn)
            person = turn.person
            roles = await turn.memberships()
            official = any(m.role in OFFICIAL_ROLES for m, _ in roles)
            directives = [(r, d) for r, d, _ in await uow.directives.of_units(
                [u.id for u in chairs])]
        rapid = self.site.pages.engine.forms[RAPID_FORM].title_text(self.site.lang(request))
        return self.site.render(request, "home.html", draft=draft, chairs=chairs,
                                offered=offered, person=person, rapid_form=RAPID_FORM,
                                rapid=rapid, official=official, directives=directives)

    async def login_page(self, request: web.Request) -> web.StreamResponse:
        """A button, not a sign-in: messengers fetch a link to preview it, and that fetch
        must not use the link up. The double-submit cookie ties the press to this browser."""
        pre = secrets.token_urlsafe(16)
        response = self.site.render(request, "login.html", pre=pre)
        response.set_cookie(PRE_COOKIE, pre, path="/web/login", httponly=True,
                            samesite="Strict", secure=self.site.secure, max_age=900)
        return response

    async def login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        given, cookie = str(form.get("pre", "")), request.cookies.get(PRE_COOKIE, "")
        if not cookie or not hmac.compare_digest(given.encode(), cookie.encode()):
            return self.site.notice(request, "web.csrf", status=403)
        async with self.site.uows() as uow:
            got = await self.site.access.redeem(uow, request.match_info["secret"],
                                                self.site.clock.now())
            await uow.commit()
        if got is None:
            return self.site.notice(request, "web.link_refused", status=403)
        secret, next_path = got
        response = web.Response(status=303, headers={"Location": next_path})
        self.site.set_session(response, secret)
        response.del_cookie(PRE_COOKIE, path="/web/login")
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        async with self.site.uows() as uow:
            signed = request[SIGNED]
            assert signed is not None  # the guard lets no POST through without a session
            await self.site.access.sign_out(uow, signed, self.site.clock.now())
            await uow.commit()
        response = self.site.notice(request, "web.signed_out_done")
        response.del_cookie(COOKIE, path="/web")
        return response

    # -- starting a draft --------------------------------------------------------------------
    async def start(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        unit = str(form.get("unit", ""))
        if not unit.isdigit():
            return self.site.not_found(request)
        return await self._open(request, lambda turn: self.site.pages.start(
            turn, str(form.get("form", "")), int(unit)))

    async def periodic_page(self, request: web.Request) -> web.StreamResponse:
        self._who(request)
        return self.site.render(request, "periodic.html", obligation=request.match_info["id"])

    async def periodic(self, request: web.Request) -> web.StreamResponse:
        number = int(request.match_info["id"])
        return await self._open(request, lambda turn: self.site.pages.periodic_draft(
            turn, number))

    async def _open(self, request: web.Request, opening: Any) -> web.StreamResponse:
        who = self._who(request)
        async with self.site.uows() as uow:
            turn = await self.site.pages.turn(uow, who, self.site.clock.now())
            try:
                draft: Draft | None = await opening(turn)
            except NotYours:
                return self.site.not_found(request)
            await turn.flush()
            await self.site.commit(uow)
        if draft is None:
            return self.site.notice(request, "web.no_draft", status=404)
        raise web.HTTPSeeOther(f"/web/drafts/{draft.conv_id}")

    # -- the form ------------------------------------------------------------------------------
    async def _open_draft(self, request: web.Request) -> Draft:
        """The person's open draft named in the URL (404 when there is none, or not theirs)."""
        who = self._who(request)
        async with self.site.uows() as uow:
            turn = await self.site.pages.turn(uow, who, self.site.clock.now())
            draft = await self.site.pages.draft(turn, int(request.match_info["id"]))
        if draft is None:
            raise _NoDraft()
        return draft

    async def draft(self, request: web.Request) -> web.StreamResponse:
        try:
            draft = await self._open_draft(request)
        except _NoDraft:
            return self.site.notice(request, "web.no_draft", status=404)
        return self.site.draft_page(request, draft, edit=request.query.get("edit") == "1")

    async def save(self, request: web.Request) -> web.StreamResponse:
        """The whole page posted (the path without JavaScript, and every upload)."""
        form = await request.post()
        if "remove" in form:
            return await self.remove_file(request, form)
        raw, files, refused = await self._answers(form)
        finish = form.get("action") == "next"
        saved = await self._saving(request, form, lambda turn, conv, v: self.site.pages.save(
            turn, conv, v, raw, files, finish=finish))
        if saved.draft is None:
            return self.site.notice(request, "web.no_draft", status=404)
        draft = saved.draft
        errors = {**saved.errors, **refused}
        saved = Saved(draft, errors, saved.stale, None)
        if finish and not errors and not saved.stale and draft.session.step == CONFIRM:
            raise web.HTTPSeeOther(f"/web/drafts/{draft.conv_id}/card")
        return self.site.draft_page(request, draft, saved,
                                    {} if saved.stale else _typed(raw, errors))

    async def answer(self, request: web.Request) -> web.StreamResponse:
        """One answer saved as it is given (the page's script): JSON back."""
        form = await request.post()
        raw, _, _ = await self._answers(form, with_files=False)
        saved = await self._saving(request, form, lambda turn, conv, v: self.site.pages.save(
            turn, conv, v, raw, [], finish=False))
        if saved.draft is None:
            return web.json_response({"error": "gone"}, status=404)
        lang = self.site.lang(request)
        return web.json_response({
            "version": saved.draft.session.version, "stale": saved.stale,
            "visible": self.site.views.visible(saved.draft),
            "errors": {k: self.site.tr.render(lang, m) for k, m in saved.errors.items()},
        })

    async def remove_file(self, request: web.Request, form: Any = None) -> web.StreamResponse:
        form = form if form is not None else await request.post()
        key, _, index = str(form.get("remove", "")).partition(":")
        if not index.isdigit():
            return self.site.not_found(request)
        saved = await self._saving(request, form, lambda turn, conv, v: self.site.pages
                                   .remove_file(turn, conv, v, key, int(index)))
        if saved.draft is None:
            return self.site.notice(request, "web.no_draft", status=404)
        return self.site.draft_page(request, saved.draft, saved)

    async def card(self, request: web.Request) -> web.StreamResponse:
        try:
            draft = await self._open_draft(request)
        except _NoDraft:
            return self.site.notice(request, "web.no_draft", status=404)
        if draft.session.step != CONFIRM:
            raise web.HTTPSeeOther(f"/web/drafts/{draft.conv_id}")
        lines = self.site.views.card(self.site.lang(request), draft)
        return self.site.render(request, "card.html", draft=draft, lines=lines)

    async def send(self, request: web.Request) -> web.StreamResponse:
        return await self._finish(request, "confirm")

    async def cancel(self, request: web.Request) -> web.StreamResponse:
        return await self._finish(request, "cancel")

    async def _finish(self, request: web.Request, command: str) -> web.StreamResponse:
        form = await request.post()
        saved = await self._saving(request, form, lambda turn, conv, v: self.site.pages.finish(
            turn, conv, v, command))
        if saved.stale and saved.draft is not None:
            return self.site.draft_page(request, saved.draft, saved)
        if not saved.done:
            return self.site.notice(request, "web.no_draft", status=404)
        if saved.report is not None:
            raise web.HTTPSeeOther(f"/web/reports/{saved.report.id}?sent=1")
        if saved.draft is not None:  # refused on the card (cannot happen through the page)
            return self.site.draft_page(request, saved.draft, saved)
        return self.site.notice(request, "web.cancelled")

    async def _saving(self, request: web.Request, form: Any, call: Any) -> Saved:
        who = self._who(request)
        version = str(form.get("v", ""))
        async with self.site.uows() as uow:
            turn = await self.site.pages.turn(uow, who, self.site.clock.now())
            try:
                saved: Saved = await call(turn, int(request.match_info["id"]),
                                          int(version) if version.isdigit() else -1)
            except NotYours:
                raise web.HTTPNotFound() from None
            await turn.flush()
            await self.site.commit(uow)
        return saved

    async def _answers(self, form: Any, with_files: bool = True) -> tuple[
            dict[str, Any], list[Any], dict[str, Any]]:
        """The page's answers by question key (fields are named "q.<key>"), its uploads and
        the uploads refused for their type."""
        from bot.engine.messages import Msg

        raw: dict[str, Any] = {}
        files: list[Any] = []
        refused: dict[str, Any] = {}
        for name in set(form.keys()):
            if not name.startswith("q."):
                continue
            key = name[2:]
            values = form.getall(name)
            uploads = [v for v in values if hasattr(v, "file")]
            texts = [str(v) for v in values if not hasattr(v, "file")]
            for upload in uploads if with_files else ():
                got = await self.site.read_upload(upload)
                if got is None:
                    refused[key] = Msg("error.attachment_kind")
                elif got is not False:
                    files.append((key, got))
            if texts:
                raw[key] = texts if len(texts) > 1 or name.endswith("[]") else texts[0]
            elif not uploads and name.endswith("[]"):
                raw[key] = []
        raw = {k.removesuffix("[]"): v for k, v in raw.items()}
        refused = {k.removesuffix("[]"): v for k, v in refused.items()}
        return raw, [(k.removesuffix("[]"), f) for k, f in files], refused

    # -- a stored report and its files ----------------------------------------------------
    async def report(self, request: web.Request) -> web.StreamResponse:
        who = self._who(request)
        lang = self.site.lang(request)
        async with self.site.uows() as uow:
            try:
                view = await self.site.reports.view(uow, who, int(request.match_info["id"]),
                                                    lang, self.site.clock.now())
            except NotYours:
                return self.site.not_found(request)
        return self.site.render(request, "report.html", view=view,
                                sent=request.query.get("sent") == "1")

    async def media(self, request: web.Request) -> web.StreamResponse:
        m = request.match_info
        ref = self.site.signer.check(m["token"], m["until"], m["mac"], self.site.clock.now())
        path = self.site.media.resolve(ref) if ref else None
        if path is None:
            return self.site.not_found(request)
        mime = self.site.media.mime(path)
        headers = {"Content-Type": mime, "X-Content-Type-Options": "nosniff",
                   "Cache-Control": "private, max-age=3600"}
        if not mime.startswith("image/"):
            headers["Content-Disposition"] = "attachment"
        return web.FileResponse(path, headers=headers)


class _NoDraft(LookupError):
    """The person has no open draft (sent, cancelled or expired meanwhile)."""


class _Signed(web.HTTPUnauthorized):
    """A page that needs a session, asked for without one (the guard shows the page)."""


def _typed(raw: dict[str, Any], errors: Any) -> dict[str, Any]:
    """What was typed for refused answers, shown again beside the reason."""
    return {k: v for k, v in raw.items() if k in errors}
