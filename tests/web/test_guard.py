"""The rules every page follows: requests counted per address and per person, a Secure
cookie behind https, and links made only where a browser can open them."""

from __future__ import annotations

from pathlib import Path

from aiogram.types import InlineKeyboardMarkup

from bot.app import App
from bot.channels.base import OutboundMessage, WebLink
from bot.channels.telegram.keyboard import layout
from bot.clock import ManualClock
from bot.web.throttle import Throttle
from tests.conftest import RecordingChannel, make_app
from tests.web.client import Browser, ask_link, hidden


async def test_too_many_requests_from_one_address_or_person_are_refused(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    link = await ask_link(web_app, channel, "demo")
    _, home, _ = await browser.sign_in(link)
    base = link.split("/web/")[0]
    assert web_app.web is not None
    web_app.web.by_person = Throttle(2)
    for expected in (303, 303, 429):  # the third start in a minute
        async with browser.http.post(base + "/web/start", data={
                "csrf": hidden(home, "csrf"), "form": "bao_cao_nhanh",
                "unit": hidden(home, "unit")}, allow_redirects=False) as r:
            assert r.status == expected
    web_app.web.by_address = Throttle(1)
    status, _ = await browser.get(base + "/web/")
    assert status == 200
    status, page = await browser.get(base + "/web/")
    assert status == 429 and "một phút" in page


async def test_behind_https_the_cookie_is_secure(
        sqlite_url: str, clock: ManualClock, channel: RecordingChannel, tmp_path: Path,
        browser: Browser) -> None:
    app = make_app(sqlite_url, clock, channel, media_dir=str(tmp_path),
                   http={"host": "127.0.0.1", "port": 0, "public_url": "https://tinhhinh.vn/"})
    await app.start_http()
    try:
        from tests.helpers import seed
        await seed(app)
        link = await ask_link(app, channel, "demo")
        assert link.startswith("https://tinhhinh.vn/web/login/")
        local = f"http://127.0.0.1:{app.http.port}/web/login/" + link.rsplit("/", 1)[1]
        async with browser.http.get(local) as r:
            page = await r.text()
            assert "Secure" in r.headers["Set-Cookie"]  # the sign-in form's cookie too
        pre = hidden(page, "pre")
        # The proxy in front speaks https to the phone; here the cookie is handed back by hand.
        async with browser.http.post(local, data={"pre": pre}, allow_redirects=False,
                                     headers={"Cookie": f"th_pre={pre}"}) as r:
            cookie = next(c for c in r.headers.getall("Set-Cookie")
                          if c.startswith("th_session"))
        assert "Secure" in cookie and "HttpOnly" in cookie
    finally:
        await app.http.stop()
        await app.close()


def test_telegram_shows_an_https_link_as_a_button_and_any_other_as_text() -> None:
    https = OutboundMessage("Báo cáo", link=WebLink("https://tinhhinh.vn/web/login/x", "Mở"))
    text, markup = layout(https)
    assert isinstance(markup, InlineKeyboardMarkup)
    assert markup.inline_keyboard[-1][0].url == "https://tinhhinh.vn/web/login/x"
    assert "https://" not in text
    plain = OutboundMessage("Báo cáo", link=WebLink("http://127.0.0.1:8080/web/login/x", "Mở"))
    text, markup = layout(plain)
    assert markup is None and text.endswith("Mở: http://127.0.0.1:8080/web/login/x")
