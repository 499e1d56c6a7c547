"""A chair on Telegram asks for the web page and fills the rapid report on a phone-sized
Chromium (JavaScript on): the branch question appears as "ngừng việc" is chosen, a wrong
number is refused and corrected, a photo is uploaded, the card is checked and sent; the
official's alert arrives at the Telegram peer. Screenshots of the form and the card are
written at phone width."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.app import App
from tests.e2e.conftest import running, telegram_web_app
from tests.e2e.peer import Peer, TgUser
from tests.helpers import invite, reports, seed
from tests.web.pages import JPEG, RAPID
from tests.web.phone import WIDTH, Phone

CHAIR = TgUser(7301, "Lò Văn Chín")
OFFICIAL = TgUser(7302, "Hoàng Thị Mai")
LINK = re.compile(r"http://\S+/web/login/[A-Za-z0-9_-]+")


def has(part: str) -> object:
    return lambda ms: any(part in m["text"] for m in ms)


@pytest.mark.timeout(240)
async def test_a_chair_fills_the_rapid_report_on_the_phone_page(
        sqlite_url: str, peer: Peer, tmp_path: Path) -> None:
    app: App = telegram_web_app(sqlite_url, peer, tmp_path)
    phone: Phone | None = None
    try:
        await seed(app)
        await app.start_http()
        chair_code = await invite(app, "DEMO_CS2")
        official_code = await invite(app, "DEMO_HUYEN", role="official")
        async with running(app):
            await peer.text(OFFICIAL, f"/start {official_code}")
            await peer.text(CHAIR, f"/start {chair_code}")
            await peer.wait_chat(CHAIR.id, has("/trogiup"))
            await peer.text(CHAIR, "/web")
            messages = await peer.wait_chat(CHAIR.id, lambda ms: any(
                LINK.search(m["text"]) for m in ms))
            link = next(LINK.search(m["text"]) for m in messages if LINK.search(m["text"]))
            assert link is not None
            phone = Phone()
            await phone.open(link.group(0))
            await phone.click("#sign-in")
            await phone.wait("home", lambda: phone.driver.current_url.endswith("/web/"))
            await phone.click("button[id^=start-]")
            await phone.wait("the form", lambda: "/web/drafts/" in phone.driver.current_url)
            assert not await phone.shown("#q-so_nguoi_ngung_viec")
            await phone.click("input[name='q.linh_vuc'][value=ngung_viec]")
            await phone.wait_shown("#q-so_nguoi_ngung_viec")  # the server said it applies
            await phone.type("#in-so_nguoi_ngung_viec", "0")  # below its minimum of 1
            await phone.blur()
            await phone.wait_shown("#error-so_nguoi_ngung_viec")
            assert "1" in await phone.text("#error-so_nguoi_ngung_viec")
            await phone.type("#in-so_nguoi_ngung_viec", RAPID["so_nguoi_ngung_viec"])
            await phone.blur()
            await phone.wait_shown("#error-so_nguoi_ngung_viec", shown=False)
            await phone.click("input[name='q.muc_do'][value=khan_cap]")
            assert not await phone.shown("#q-so_nguoi")  # a strike's head count: asked once
            await phone.type("#in-mo_ta", RAPID["mo_ta"])
            await phone.click("input[name='q.tinh_trang'][value=can_ho_tro]")
            await phone.wait_shown("#q-de_xuat")
            await phone.type("#in-de_xuat", RAPID["de_xuat"])
            await phone.blur()
            photo = tmp_path / "anh-hien-truong.jpg"
            photo.write_bytes(JPEG)
            await phone.type("#file-dinh_kem", str(photo), clear=False)  # uploads at once
            await phone.wait("the photo listed", lambda: "anh-hien-truong.jpg"
                             in phone.driver.page_source)
            assert await phone.page_width() == (WIDTH, WIDTH)
            form_shot = await phone.screenshot("bao_cao_nhanh-form.png")
            await phone.click("#next")
            await phone.wait("the card", lambda: phone.driver.current_url.endswith("/card"))
            card = await phone.text("#card")
            assert "120" in card and RAPID["mo_ta"] in card
            assert "Số người lao động liên quan" not in card
            card_shot = await phone.screenshot("bao_cao_nhanh-card.png")
            await phone.click("#send")
            await phone.wait("the number", lambda: "/web/reports/" in phone.driver.current_url)
            ref = await phone.text("#ref")
            assert re.fullmatch(r"BC-2026-\d{6}", ref)
            await peer.wait_chat(OFFICIAL.id, has(ref))  # the alert, through Telegram
            await peer.wait_chat(CHAIR.id, has(ref))  # the chat's record
        [stored] = await reports(app)
        assert stored.answers["so_nguoi_ngung_viec"] == 120
        assert stored.answers["dinh_kem"][0]["kind"] == "photo"
        for shot in (form_shot, card_shot):
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5000
    finally:
        if phone is not None:
            await phone.close()
        await app.http.stop()
        await app.close()
