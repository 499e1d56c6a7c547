"""Signing in to the web pages without a password: a one-time link sent in the chat.

``/web`` (or "web", "/trangweb") gives the person a link bound to them and to the account
that asked, valid for minutes and used once. Opening it (a press on the page's button: link
previews fetch the address and must not use the link up) starts a browser session whose
cookie holds a random secret; the database keeps only its SHA-256, with the session's own
CSRF secret. Links the bot puts in reminders and in "fill on the phone" lines are the same
kind of link, made when the message is sent (so a reminder planned for 150,000 units makes
no rows until it leaves) and living longer, since a reminder is read hours later.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.channels.base import OutboundMessage, WebLink
from bot.engine.messages import Msg
from handlers.conversation.turn import Turn
from storage.uow import UnitOfWork

LINK, SESSION = "link", "session"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def safe_path(path: str | None) -> str:
    """Where a link may lead after sign-in: a path of the web pages, never another site."""
    if not path or not path.startswith("/web/") or "//" in path or "\\" in path:
        return "/web/"
    return path


@dataclass(frozen=True)
class WebSettings:
    """The web pages' base address (a function: the server's port may be known only once
    it listens; None: no pages to link to) and the lifetimes."""

    base_url: Callable[[], str | None]
    link_minutes: float = 10
    message_link_hours: float = 72
    session_days: float = 7
    links_per_hour: int = 10


@dataclass(frozen=True)
class SignedIn:
    """A browser's session: who, through which account, the CSRF secret of its forms, and
    the person's chosen language (None: the default)."""

    pass_id: int
    person_id: int
    identity_id: int
    csrf: str
    expires_at: datetime
    language: str | None = None


class WebAccess:
    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings

    @property
    def available(self) -> bool:
        return self.settings.base_url() is not None

    def url(self, path: str) -> str:
        base = self.settings.base_url()
        assert base is not None
        return base.rstrip("/") + path

    async def command(self, turn: Turn) -> None:
        """``/web``: a sign-in link for this person, at most so many an hour."""
        if not self.available:
            await turn.say(Msg("web.not_configured"))
            return
        since = turn.now - timedelta(hours=1)
        if await turn.uow.web.count_since(turn.person.id, LINK, since) >= \
                self.settings.links_per_hour:
            await turn.say(Msg("web.too_many_links"))
            return
        next_path = "/web/"
        if turn.draft.session is not None and turn.conversation is not None:
            next_path = f"/web/drafts/{turn.conversation.id}"
        url = await self.mint(turn.uow, turn.person.id, turn.identity.id, turn.now,
                              next_path=next_path)
        minutes = f"{self.settings.link_minutes:g}"
        await turn.reply(OutboundMessage(
            turn.t(Msg("web.link", minutes=minutes)),
            link=WebLink(url, turn.t(Msg("web.open")))))

    async def mint(self, uow: UnitOfWork, person_id: int, identity_id: int, now: datetime, *,
                   next_path: str = "/web/", lifetime: timedelta | None = None) -> str:
        """A new one-time sign-in link (the secret is in the URL only, never stored)."""
        secret = secrets.token_urlsafe(24)
        life = lifetime or timedelta(minutes=self.settings.link_minutes)
        await uow.web.add(digest=digest(secret), kind=LINK, person_id=person_id,
                          identity_id=identity_id, now=now, lifetime=life,
                          next_path=safe_path(next_path))
        return self.url(f"/web/login/{secret}")

    async def for_message(self, uow: UnitOfWork, identity_id: int, path: str,
                          now: datetime) -> str | None:
        """The link a message carries, made as it is sent (bot.delivery.LinkMaker)."""
        identity = await uow.identities.get(identity_id)
        if not self.available or identity is None:
            return None
        return await self.mint(uow, identity.person_id, identity_id, now, next_path=path,
                               lifetime=timedelta(hours=self.settings.message_link_hours))

    async def redeem(self, uow: UnitOfWork, secret: str, now: datetime
                     ) -> tuple[str, str] | None:
        """Use a link once: a new session's secret and where to go, or None for a link that
        is unknown, used or expired."""
        row = await uow.web.lock(digest(secret))
        if row is None or row.kind != LINK or row.used_at is not None or row.expires_at <= now:
            return None
        await uow.web.use(row.id, now)
        session_secret = secrets.token_urlsafe(32)
        await uow.web.add(digest=digest(session_secret), kind=SESSION,
                          person_id=row.person_id, identity_id=row.identity_id, now=now,
                          lifetime=timedelta(days=self.settings.session_days),
                          csrf=secrets.token_urlsafe(24))
        await uow.audit.write("web.sign_in", now, person_id=row.person_id,
                              identity_id=row.identity_id)
        return session_secret, safe_path(row.next_path)

    async def session(self, uow: UnitOfWork, secret: str, now: datetime) -> SignedIn | None:
        found = await uow.web.find(digest(secret), SESSION, now)
        if found is None or found[0].csrf is None:
            return None
        row, language = found
        assert row.csrf is not None
        return SignedIn(row.id, row.person_id, row.identity_id, row.csrf, row.expires_at,
                        language)

    async def sign_out(self, uow: UnitOfWork, signed: SignedIn, now: datetime) -> None:
        await uow.web.use(signed.pass_id, now)
