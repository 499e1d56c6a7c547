"""The web pages' routes on the bot's one aiohttp server.

Each route reads the request, calls a use case (handlers.reports.page, handlers.people.
web_access) in one transaction, and renders a template. Three rules hold for every route,
in ``_guard``: requests are counted per address (and per person once signed in), a POST
must carry the session's CSRF token (the sign-in form carries a double-submit cookie's), and
pages are never cached or framed. Who may see what is the use cases' decision (a draft is
its author's; a report is its unit's and, for its words, privacy by level's): a route only
turns ``NotYours`` into the same 404 as a missing page, so ids cannot be probed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jinja2
from aiohttp import web

from bot.clock import Clock
from bot.engine.inputs import AttachmentInput
from bot.engine.messages import Msg
from bot.engine.page import Raw
from bot.engine.session import CONFIRM
from bot.i18n import Translator
from bot.web.media import MediaStore
from bot.web.signing import Signer
from bot.web.throttle import Throttle
from bot.web.views import DraftViews
from handlers.directives.messages import MEMBER_PAGE
from handlers.directives.publishing import Actor
from handlers.people.web_access import SignedIn, WebAccess
from handlers.reports.page import Draft, FormPages, NotYours, Saved, Visitor
from handlers.reports.viewing import ReportViews
from handlers.surveys.campaigns import SURVEY_PAGE
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

COOKIE, PRE_COOKIE = "th_session", "th_pre"
# A member's browser on the members' pages, which need no sign-in: a directive's (one
# confirmation per browser) and a survey's (one response per browser).
DEVICE_COOKIE = "th_device"
MEMBER_PAGES = (MEMBER_PAGE, SURVEY_PAGE)
# What the guard learnt of a request: its session (None: signed out) and its language.
SIGNED: web.RequestKey[SignedIn | None] = web.RequestKey("signed")
LANG: web.RequestKey[str] = web.RequestKey("lang", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    # The sign-in link's secret is in its path: never hand it on as a referrer.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class WebLimits:
    per_address: int = 600  # requests a minute from one address
    per_person: int = 90  # posts a minute by one person
    sign_ins: int = 60  # sign-in presses a minute from one address
    # Members' "Tôi đã đọc" a minute from one address (a factory's members may share one).
    member_posts: int = 30


class WebSite:
    def __init__(self, *, uows: Callable[[], UnitOfWork], clock: Clock, access: WebAccess,
                 pages: FormPages, reports: ReportViews, views: DraftViews, media: MediaStore,
                 signer: Signer, translator: Translator, default_language: str,
                 secure: bool, on_commit: Callable[[], None] = lambda: None,
                 limits: WebLimits | None = None, upload_mb: float = 20) -> None:
        self.uows = uows
        self.upload_mb = upload_mb  # an upload's limit, as people are told it
        # Wakes the delivery worker: what a page's step queued (alerts, the chat's record)
        # leaves now, as after a message from a chat.
        self.on_commit = on_commit
        self.clock = clock
        self.access = access
        self.pages = pages
        self.reports = reports
        self.views = views
        self.media = media
        self.signer = signer
        self.tr = translator
        self.default_language = default_language
        self.secure = secure
        limits = limits or WebLimits()
        self.by_address = Throttle(limits.per_address)
        self.by_person = Throttle(limits.per_person)
        self.sign_ins = Throttle(limits.sign_ins)
        self.member_posts = Throttle(limits.member_posts)
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("bot.web", "templates"),
            autoescape=True, undefined=jinja2.StrictUndefined)

    async def prepare(self) -> None:
        """Load (or make, once) the signing key of media addresses."""
        async with self.uows() as uow:
            key = await uow.web.key(secrets.token_hex(32), self.clock.now())
            await uow.commit()
        self.signer.key = key.encode()

    def install(self, app: web.Application) -> None:
        from bot.web import routes  # the table of routes, beside the handlers it names

        app.middlewares.append(self._guard)
        routes.add(app, self)

    # -- the rules every route follows ----------------------------------------------------
    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/web"):
            return await handler(request)
        address = request.remote or "-"
        if not self.by_address.allow(address):
            return self.notice(request, "web.slow_down", status=429)
        request[SIGNED] = await self._signed(request)
        if request.method == "POST":
            refused = await self._refuse_post(request)
            if refused is not None:
                return refused
        try:
            response = await handler(request)
        except web.HTTPUnauthorized:
            return self.notice(request, "web.signed_out", status=401)
        except (web.HTTPNotFound, NotYours):
            # Another person's draft, another unit's report: as if it did not exist.
            return self.not_found(request)
        response.headers.update(HEADERS)
        return response

    async def _refuse_post(self, request: web.Request) -> web.StreamResponse | None:
        """Every POST: counted, and carrying the session's CSRF token (a form field, or the
        page script's header); the sign-in form checks its own double-submit cookie."""
        signed = request[SIGNED]
        if request.path.startswith(MEMBER_PAGES):
            return await self._refuse_member_post(request)
        if request.path.startswith("/web/login/"):
            if not self.sign_ins.allow(request.remote or "-"):
                return self.notice(request, "web.slow_down", status=429)
            return None  # checked by the route: a double-submit cookie, before any session
        if signed is None:
            return self.notice(request, "web.signed_out", status=401)
        if not self.by_person.allow(str(signed.person_id)):
            return self.notice(request, "web.slow_down", status=429)
        try:
            form = await request.post()  # read once: aiohttp keeps it for the route
        except web.HTTPRequestEntityTooLarge:
            # Past the attachment limit (and a margin): said in words, nothing changed.
            return self.notice(request, "web.too_big", status=413,
                               max_mb=f"{self.upload_mb:g}")
        given = request.headers.get("X-CSRF-Token") or str(form.get("csrf", ""))
        if not hmac.compare_digest(given.encode(), signed.csrf.encode()):
            return self.notice(request, "web.csrf", status=403)
        return None

    async def _refuse_member_post(self, request: web.Request) -> web.StreamResponse | None:
        """A member's POST (no session): counted per address, from a browser that has the
        members' cookie, carrying the token derived from it (a double-submit the key signs,
        so another site's form cannot confirm in a member's name)."""
        if not self.member_posts.allow(request.remote or "-"):
            return self.notice(request, "web.slow_down", status=429)
        device = request.cookies.get(DEVICE_COOKIE, "")
        form = await request.post()
        given = str(form.get("csrf", ""))
        if not device or not hmac.compare_digest(given.encode(),
                                                 self.member_csrf(device).encode()):
            return self.notice(request, "web.csrf", status=403)
        return None

    def new_device(self) -> str:
        return secrets.token_urlsafe(18)

    def member_csrf(self, device: str) -> str:
        assert self.signer.key is not None  # loaded before the server listens
        return hmac.new(self.signer.key, f"member:{device}".encode(),
                        hashlib.sha256).hexdigest()[:32]

    def set_device(self, response: web.StreamResponse, device: str) -> None:
        response.set_cookie(DEVICE_COOKIE, device, path="/web",
                            httponly=True, samesite="Lax", secure=self.secure,
                            max_age=2 * 365 * 86400)

    async def _signed(self, request: web.Request) -> SignedIn | None:
        secret = request.cookies.get(COOKIE)
        if not secret:
            return None
        async with self.uows() as uow:
            signed = await self.access.session(uow, secret, self.clock.now())
        if signed is not None:
            request[LANG] = signed.language or self.default_language
        return signed

    async def commit(self, uow: UnitOfWork) -> None:
        await uow.commit()
        self.on_commit()

    # -- rendering --------------------------------------------------------------------------
    def lang(self, request: web.Request) -> str:
        return request.get(LANG) or self.default_language

    def render(self, request: web.Request, template: str, status: int = 200,
               **context: Any) -> web.Response:
        lang = self.lang(request)
        signed = request.get(SIGNED)

        def t(key: str, **params: Any) -> str:
            return self.tr.render(lang, Msg(key, **params))

        html = self.env.get_template(template).render(
            t=t, lang=lang, csrf=signed.csrf if signed else "", signed=signed is not None,
            **context)
        response = web.Response(text=html, status=status, content_type="text/html")
        response.headers.update(HEADERS)
        return response

    def notice(self, request: web.Request, key: str, status: int = 200,
               **params: Any) -> web.Response:
        return self.render(request, "notice.html", status=status, message=key, params=params)

    def not_found(self, request: web.Request) -> web.Response:
        return self.notice(request, "web.not_found", status=404)

    def actor(self, request: web.Request) -> Actor:
        """The signed-in person acting on a page (a directive, a survey), as the use cases
        record who did what; a page that needs one, asked without a session, says so."""
        signed = request[SIGNED]
        if signed is None:
            raise web.HTTPUnauthorized()
        return Actor(signed.person_id, signed.identity_id, "web")

    def device(self, request: web.Request) -> tuple[str, bool]:
        """A member's browser: its cookie, or a new one to set (True) on the response."""
        cookie = request.cookies.get(DEVICE_COOKIE)
        return (cookie, False) if cookie else (self.new_device(), True)

    def visitor(self, request: web.Request) -> Visitor | None:
        signed = request[SIGNED]
        return Visitor(signed.person_id, signed.identity_id) if signed else None

    def visitor_or_401(self, request: web.Request) -> Visitor:
        """The signed-in person; a page that needs one, asked without a session, says so."""
        who = self.visitor(request)
        if who is None:
            raise web.HTTPUnauthorized()
        return who

    @staticmethod
    def download(data: bytes, mime: str, name: str) -> web.Response:
        """A file to save; its name kept to plain ASCII (a unit's code or a title typed by
        a person never reaches the header as it was typed)."""
        safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_"
                       for c in name)
        return web.Response(body=data, headers={
            "Content-Type": mime, "Content-Disposition": f'attachment; filename="{safe}"'})

    def set_session(self, response: web.StreamResponse, secret: str) -> None:
        response.set_cookie(COOKIE, secret, path="/web", httponly=True, samesite="Lax",
                            secure=self.secure,
                            max_age=int(self.access.settings.session_days * 86400))

    def draft_page(self, request: web.Request, draft: Draft, saved: Saved | None = None,
                   raw: dict[str, Raw] | None = None, *, edit: bool = False) -> web.Response:
        lang = self.lang(request)
        now = self.clock.now()
        if draft.session.step == CONFIRM and saved is None and not edit:
            raise web.HTTPSeeOther(f"/web/drafts/{draft.conv_id}/card")
        errors = saved.errors if saved else {}
        return self.render(
            request, "form.html", draft=draft,
            fields=self.views.fields(lang, draft, now, errors, raw or {}),
            stale=bool(saved and saved.stale),
            has_errors=bool(errors))

    async def read_upload(self, field: Any) -> AttachmentInput | bool | None:
        """An uploaded file kept (its input for the engine), None for a type the bot does
        not take, False for no file in the field."""
        data = field.file.read() if hasattr(field, "file") else b""
        if not data:
            return False
        return self.media.save(data, getattr(field, "filename", None), self.clock.now())
