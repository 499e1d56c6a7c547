"""Signing in from the chat: a one-time link, a session cookie, CSRF on every POST."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.app import App
from storage.models import Conversation, WebPass
from tests.conftest import RecordingChannel
from tests.web.client import Browser, ask_link, hidden, sent_links, text_of

CHAIR = "demo"


async def test_a_link_signs_in_once_and_sets_a_strict_cookie(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    link = await ask_link(web_app, channel, CHAIR)
    assert "10" in channel.texts(CHAIR)[-1]  # says how long it lives
    status, page = await browser.get(link)
    assert status == 200 and 'id="sign-in"' in page  # a button: a preview does not use it
    async with browser.http.post(link, data={"pre": hidden(page, "pre")},
                                 allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == "/web/"
        cookie = next(c for c in r.headers.getall("Set-Cookie") if c.startswith("th_session"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/web" in cookie
    assert "Secure" not in cookie  # plain http on loopback; behind https it is set
    status, home = await browser.get(link.split("/web/")[0] + "/web/")
    assert status == 200 and "DEMO" in home.upper()
    # The same link again, from another browser: refused, and no second session.
    other = Browser()
    try:
        status, page = await other.get(link)
        status, refused, _ = await other.post(link, {"pre": hidden(page, "pre")})
        assert status == 403 and "đã dùng hoặc đã hết hạn" in text_of(refused, "notice")
    finally:
        await other.close()
    async with web_app.uows() as uow:
        sessions = await uow.session.scalar(
            select(func.count()).select_from(WebPass).where(WebPass.kind == "session"))
    assert sessions == 1


async def test_an_expired_or_made_up_link_is_refused(
        web_app: App, channel: RecordingChannel, browser: Browser, clock: object) -> None:
    link = await ask_link(web_app, channel, CHAIR)
    clock.advance(timedelta(minutes=11))  # type: ignore[attr-defined]
    status, _, _ = await browser.sign_in(link)
    assert status == 403
    forged = link.rsplit("/", 1)[0] + "/" + "A" * 32
    status, page, _ = await browser.sign_in(forged)
    assert status == 403
    status, page = await browser.get(link.split("/web/")[0] + "/web/")
    assert status == 401 and "web" in text_of(page, "notice")


async def test_a_sign_in_post_without_its_cookie_is_refused(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    link = await ask_link(web_app, channel, CHAIR)
    status, page = await browser.get(link)
    pre = hidden(page, "pre")
    browser.http.cookie_jar.clear()  # a forged form posted from elsewhere has no cookie
    status, _, _ = await browser.post(link, {"pre": pre})
    assert status == 403
    status, _, _ = await browser.sign_in(link)  # the link itself was not used up
    assert status == 200


async def test_every_post_needs_the_sessions_csrf_token(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    link = await ask_link(web_app, channel, CHAIR)
    _, home, _ = await browser.sign_in(link)
    base = link.split("/web/")[0]
    unit = hidden(home, "unit")
    for token in ("", "not-the-token"):
        status, page, _ = await browser.post(base + "/web/start",
                                             {"csrf": token, "form": "bao_cao_nhanh",
                                              "unit": unit})
        assert status == 403 and text_of(page, "notice")
    async with web_app.uows() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Conversation)
                                        .where(Conversation.form_id.is_not(None))) == 0
    status, page, url = await browser.post(base + "/web/start", {
        "csrf": hidden(home, "csrf"), "form": "bao_cao_nhanh", "unit": unit})
    assert status == 200 and "/web/drafts/" in url


async def test_signing_out_ends_the_session(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    link = await ask_link(web_app, channel, CHAIR)
    _, home, _ = await browser.sign_in(link)
    base = link.split("/web/")[0]
    status, _, _ = await browser.post(base + "/web/logout", {"csrf": hidden(home, "csrf")})
    assert status == 200
    status, _ = await browser.get(base + "/web/")
    assert status == 401


async def test_links_are_limited_per_person_per_hour(
        web_app: App, channel: RecordingChannel) -> None:
    for _ in range(10):
        await ask_link(web_app, channel, CHAIR)
    channel.clear()
    from tests.helpers import say
    await say(web_app, CHAIR, "web")
    assert not sent_links(channel, CHAIR)
    assert "nhiều liên kết" in channel.texts(CHAIR)[-1]
