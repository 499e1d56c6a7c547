"""Zalo and the web pages, against the Zalo Bot API peer: a reminder carries a sign-in link
that opens its period's form; with a public address, an official's alert carries the chair's
photo through sendPhoto (the peer fetches it, as Zalo's servers would); without one, the
alert says how many files there are."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp

from bot.clock import ManualClock
from tests.e2e.peer import eventually
from tests.e2e.test_periodic_e2e import REMINDER_AT
from tests.e2e.test_zalo import JPEG, Chat, free_port, serving, zalo_app
from tests.e2e.zalo_peer import ZaloPeer, ZaloUser
from tests.helpers import NGUNG_VIEC, invite, seed
from tests.web.client import hidden

LINK = re.compile(r"http://127\.0\.0\.1:\d+/web/login/[A-Za-z0-9_-]+")
CHAIR = ZaloUser("a11ce00a11ce00a11ce0", "Lò Văn Minh")
OFFICIAL = ZaloUser("b0b00b0b00b0b00b0b00", "Hoàng Văn Tú")


async def test_a_zalo_reminder_carries_a_link_that_opens_its_form(
        sqlite_url: str, zalo_peer: ZaloPeer, tmp_path: Path) -> None:
    token = zalo_peer.add_bot()
    port = free_port()
    app = zalo_app(sqlite_url, zalo_peer, token, tmp_path, http_port=port,
                   clock=ManualClock(REMINDER_AT), fire_poll_seconds=0.2,
                   public_url=f"http://127.0.0.1:{port}")
    await seed(app)
    chair = Chat(zalo_peer, token, CHAIR)
    try:
        async with serving(app):
            await chair.says(await invite(app, "DEMO_CS1"), "/trogiup")
            reminder = await chair._wait(0, "⏰ Nhắc hạn")
            await chair._wait(0, "/web/login/")
            link = LINK.search("\n".join(chair.received()))
            assert link is not None and "Điền trên điện thoại" in "\n".join(chair.received())
            # /dinhky, opening a period's report in the chat, offers its page too.
            before = len(chair.received())
            await chair.says("dinhky", "Chọn báo cáo định kỳ")
            await chair.says("1", "Điền trên điện thoại")
            assert LINK.search("\n".join(chair.received()[before:]))
            await chair.says("huy", "Đã huỷ báo cáo")
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as http:
                async with http.get(link.group(0)) as r:
                    page = await r.text()
                async with http.post(link.group(0), data={"pre": hidden(page, "pre")}) as r:
                    assert r.status == 200 and "/web/periodic/" in str(r.url)
                    page = await r.text()
                async with http.post(str(r.url), data={"csrf": hidden(page, "csrf")}) as r:
                    form = await r.text()
                    assert r.status == 200 and "/web/drafts/" in str(r.url)
            assert "Báo cáo tháng" in form and "CĐCS Công ty TNHH May Bắc Hà" in form
            assert "⏰ Nhắc hạn" in reminder
    finally:
        await app.close()


async def chair_reports_with_a_photo(app_url: str, zalo_peer: ZaloPeer, token: str,
                                     tmp_path: Path, public: bool
                                     ) -> tuple[str, list[bytes], str]:
    port = free_port()
    app = zalo_app(app_url, zalo_peer, token, tmp_path, http_port=port,
                   public_url=f"http://127.0.0.1:{port}" if public else None)
    await seed(app)
    chair, official = Chat(zalo_peer, token, CHAIR), Chat(zalo_peer, token, OFFICIAL)
    try:
        async with serving(app):
            await official.says(await invite(app, "DEMO_HUYEN", role="official"), "/trogiup")
            await chair.says(await invite(app, "DEMO_CS2"), "/trogiup")
            for line in NGUNG_VIEC[:-1]:
                await chair.says(line, "")
            await chair.photo(JPEG, "Đã nhận tệp thứ 1")
            await chair.says("xong", "Gửi")
            await chair.says("gui", "BC-2026-")
            alert = await official._wait(0, "BC-2026-")
            if public:  # the photo follows the alert's text, as its own send
                await eventually(lambda: _sent_photos(zalo_peer, token), bool, "the photo")
            await app.delivery.drain()
            photos = [p["bytes"] for p in await _sent_photos(zalo_peer, token)]
            return alert, photos, "\n".join(chair.received())  # type: ignore[misc]
    finally:
        await app.close()


async def _sent_photos(peer: ZaloPeer, token: str) -> list[dict[str, object]]:
    return [p for p in peer.bots[token].photos_sent if p["chat_id"] == OFFICIAL.id]


async def test_with_a_public_address_the_alert_carries_the_photo(
        sqlite_url: str, zalo_peer: ZaloPeer, tmp_path: Path) -> None:
    token = zalo_peer.add_bot()
    alert, photos, said = await chair_reports_with_a_photo(sqlite_url, zalo_peer, token,
                                                           tmp_path, public=True)
    assert photos == [JPEG]  # fetched by the peer from the signed address
    assert "Kèm 1 ảnh, tệp." in alert
    # The rapid report, started in the chat, offered its page.
    assert re.search(r"Điền trên điện thoại: http://127\.0\.0\.1:\d+/web/login/", said)


async def test_without_one_the_alert_counts_the_files(
        sqlite_url: str, zalo_peer: ZaloPeer, tmp_path: Path) -> None:
    token = zalo_peer.add_bot()
    alert, photos, said = await chair_reports_with_a_photo(sqlite_url, zalo_peer, token,
                                                           tmp_path, public=False)
    assert photos == []
    assert "Kèm 1 ảnh, tệp (lưu cùng báo cáo" in alert
    assert "/web/" not in said  # no public address, no pages: no links
