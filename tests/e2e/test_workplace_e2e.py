"""The officials' workplace end to end: a chair files an emergency on Telegram (the Bot API
peer); the district's official asks the bot for the web link, signs in on a phone-sized
headless Chromium, opens the overview, the hot-spot board and the hot spot's page,
acknowledges it and resolves it there; the reporter hears both on Telegram. Phone-width and
desktop screenshots of the overview and of the hot spot are written for review."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from storage.models import Incident
from tests.e2e.conftest import running, telegram_web_app
from tests.e2e.peer import Peer, TgUser
from tests.e2e.test_incidents_e2e import REPLIES, TYPED_REPORT
from tests.helpers import invite, seed
from tests.web.phone import WIDTH, Phone

CHAIR = TgUser(7401, "Lò Văn An")
OFFICIAL = TgUser(7402, "Hoàng Thị Hoa")
LINK = re.compile(r"http://\S+/web/login/[A-Za-z0-9_-]+")
RESOLUTION = "Công ty đã trả đủ hai tháng lương"


def has(part: str) -> object:
    return lambda ms: any(part in m["text"] for m in ms)


@pytest.mark.timeout(300)
async def test_an_official_acts_on_a_hot_spot_in_the_workplace_and_the_reporter_hears(
        sqlite_url: str, peer: Peer, tmp_path: Path) -> None:
    app: App = telegram_web_app(sqlite_url, peer, tmp_path)
    phone: Phone | None = None
    try:
        await seed(app)
        await app.start_http()
        chair_code = await invite(app, "DEMO_CS1")
        official_code = await invite(app, "DEMO_HUYEN", role="official")
        async with running(app):
            await peer.text(OFFICIAL, f"/start {official_code}")
            await peer.wait_chat(OFFICIAL.id, has("/trogiup"))
            await peer.text(CHAIR, f"/start {chair_code}")
            await peer.wait_chat(CHAIR.id, has("/trogiup"))
            for line, expect in zip(TYPED_REPORT, REPLIES, strict=True):
                await peer.text(CHAIR, line)
                await peer.wait_chat(CHAIR.id, has(expect))
            await peer.text(CHAIR, "gửi")
            await peer.wait_chat(OFFICIAL.id, has("Điểm nóng #1"))

            await peer.text(OFFICIAL, "/web")
            messages = await peer.wait_chat(OFFICIAL.id, lambda ms: any(
                LINK.search(m["text"]) for m in ms))
            link = next(LINK.search(m["text"]) for m in messages if LINK.search(m["text"]))
            assert link is not None
            phone = Phone()
            await phone.open(link.group(0))
            await phone.click("#sign-in")
            await phone.wait("home", lambda: phone.driver.current_url.endswith("/web/"))
            await phone.click("#nav-workplace")
            await phone.wait("the overview", lambda: phone.driver.current_url.endswith(
                "/web/workplace"))
            assert await phone.text("#v-open-hotspots") == "1"
            assert await phone.text("#title") == "Liên đoàn Lao động huyện Bắc Hà (demo)"
            await phone.wait("the chart", lambda: phone.driver.execute_script(
                "return document.getElementById('chart').naturalWidth") > 0)
            assert await phone.page_width() == (WIDTH, WIDTH)
            shots = [await phone.screenshot("ban_lam_viec-tong_quan.png"),
                     await phone.desktop_screenshot("ban_lam_viec-tong_quan-desktop.png")]

            await phone.click("#nav-hotspots")
            await phone.wait("the board", lambda: "/hotspots" in phone.driver.current_url)
            await phone.click("#hotspot-1 a")
            await phone.wait("the hot spot", lambda: phone.driver.current_url.endswith(
                "/hotspots/1"))
            assert "no luong hai thang" in await phone.text("#card")
            assert await phone.text("#state") == "chưa tiếp nhận"
            await phone.click("#do-acknowledge")
            await phone.wait("acknowledged", lambda: "tiếp nhận" in phone._find("#state").text
                             and "chưa" not in phone._find("#state").text)
            await peer.wait_chat(CHAIR.id, has("Hoàng Thị Hoa"))
            await phone.type("#note-resolve", RESOLUTION)
            await phone.click("#do-resolve")
            await phone.wait("resolved", lambda: phone._find("#state").text == "đã giải quyết")
            assert RESOLUTION in await phone.text("#resolution")
            assert await phone.page_width() == (WIDTH, WIDTH)
            shots += [await phone.screenshot("ban_lam_viec-diem_nong.png"),
                      await phone.desktop_screenshot("ban_lam_viec-diem_nong-desktop.png")]
            await peer.wait_chat(CHAIR.id, has(RESOLUTION))  # the reporter hears the outcome
        async with app.uows() as uow:
            incident = await uow.session.scalar(select(Incident))
        assert incident is not None and incident.state == "resolved"
        assert incident.resolution == RESOLUTION
        for shot in shots:
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5000
    finally:
        if phone is not None:
            await phone.close()
        await app.http.stop()
        await app.close()
