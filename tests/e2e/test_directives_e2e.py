"""A directive end to end, against the Telegram and Zalo peers and the web pages, on both
databases: the district publishes a directive with a PDF from its web page to its three CĐCS;
the Telegram chair gets the PDF as a document and answers with the buttons and the short
form; a Zalo chair gets a link that opens the PDF for that unit, says "DN" in the chat and
reports the dissemination on the web page its message links to; the third chair, who says
nothing, is reminded on the policy's steps and is on the official's overdue list; the figures
are exact."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import App, build_app
from bot.clock import ManualClock
from bot.config import Settings
from tests.e2e.peer import Peer, TgUser, button, eventually
from tests.e2e.test_zalo import Chat, free_port, serving
from tests.e2e.zalo_peer import ZaloPeer, ZaloUser
from tests.handlers.test_calendar import local
from tests.helpers import invite, seed
from tests.web.client import Browser, hidden

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
       b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n") + b"% padding\n" * 200
LOGIN = re.compile(r"http://127\.0\.0\.1:\d+/web/login/[A-Za-z0-9_-]+")
FILE = re.compile(r"Văn bản đính kèm: (http://127\.0\.0\.1:\d+/web/m/[A-Za-z0-9_-]+/file)")
OFFICIAL = ZaloUser("0ff1c1a10ff1c1a10ff1", "Hoàng Văn Tú")
CS2 = ZaloUser("c5200c5200c5200c5200", "Lò Thị Mai")
CS3 = ZaloUser("c5300c5300c5300c5300", "Vàng Seo Pao")
CS1 = TgUser(7301, "Minh")


def both(db_url: str, peer: Peer, zalo: ZaloPeer, token: str, tmp: Path, port: int,
         clock: ManualClock) -> App:
    settings = Settings(
        database_url=db_url, media_dir=tmp / "media", fire_poll_seconds=0.2,
        telegram={"token": peer.token, "api_base": peer.api_base, "poll_timeout": 1,
                  "username": "TestNameBot", "chat_interval_seconds": 0.05},
        zalo={"token": token, "api_base": zalo.base, "poll_timeout": 1, "per_second": 30,
              "chat_interval_seconds": 0.01},
        http={"host": "127.0.0.1", "port": port, "public_url": f"http://127.0.0.1:{port}"},
        _env_file=None,  # type: ignore[call-arg]
    )
    return build_app(settings, clock=clock)


async def tg_last(peer: Peer, has: str) -> dict[str, Any]:
    chat = await peer.wait_chat(CS1.id, lambda ms: any(has in (m.get("text") or "")
                                                       for m in ms))
    return [m for m in chat if has in (m.get("text") or "")][-1]


async def publish_on_the_web(base: str, link: str) -> None:
    official = Browser()
    try:
        await official.sign_in(link)
        status, form = await official.get(f"{base}/web/directives/new")
        assert status == 200 and 'name="units"' in form
        unit = re.search(r'name="unit" value="(\d+)"', form)
        assert unit is not None
        data = aiohttp.FormData()
        for name, value in (("csrf", hidden(form, "csrf")), ("unit", unit.group(1)),
                            ("title", "Triển khai Nghị quyết Đại hội Công đoàn tỉnh"),
                            ("body", "Đề nghị các CĐCS quán triệt Nghị quyết đến đoàn viên."),
                            ("due_on", "2026-12-10"), ("asks", "disseminated")):
            data.add_field(name, value)
        data.add_field("file", PDF, filename="nghi-quyet.pdf", content_type="application/pdf")
        status, review, url = await official.post(f"{base}/web/directives", data)
        assert status == 200 and url.endswith("/web/directives/1"), review
        assert "Bản nháp: chưa gửi đến ai" in review
        status, done, url = await official.post(f"{base}/web/directives/1/publish",
                                                 {"csrf": hidden(review, "csrf")})
        assert status == 200 and "done=published" in url, done
    finally:
        await official.close()


async def test_a_district_directive_answered_on_telegram_zalo_and_the_web(
        db_url: str, peer: Peer, zalo_peer: ZaloPeer, tmp_path: Path) -> None:
    token = zalo_peer.add_bot()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    clock = ManualClock(local(2026, 12, 1, 9, 0))
    app = both(db_url, peer, zalo_peer, token, tmp_path, port, clock)
    await seed(app)
    official, cs2, cs3 = (Chat(zalo_peer, token, u) for u in (OFFICIAL, CS2, CS3))
    try:
        async with serving(app):
            await official.says(await invite(app, "DEMO_HUYEN", role="official"), "/trogiup")
            await cs2.says(await invite(app, "DEMO_CS2"), "/trogiup")
            await cs3.says(await invite(app, "DEMO_CS3"), "/trogiup")
            await peer.text(CS1, f"/start {await invite(app, 'DEMO_CS1')}")
            await tg_last(peer, "/trogiup")
            link = LOGIN.search(await official.says("web", "/web/login/"))
            assert link is not None
            await publish_on_the_web(base, link.group(0))

            # Telegram: the PDF as a document, then the text with its buttons.
            [document] = await eventually(lambda: peer.calls("sendDocument"),
                                          lambda cs: len(cs) == 1, "the directive's PDF")
            assert document["file"]["filename"] == "nghi-quyet.pdf"
            assert document["file"]["size"] == len(PDF)
            message = await tg_last(peer, "📄 Văn bản chỉ đạo số 1")
            await peer.press(CS1, message, button(message, "Đã nhận"))
            await tg_last(peer, "đã nhận văn bản chỉ đạo số 1")
            await peer.press(CS1, message, button(message, "Đã quán triệt"))
            for answer, expect in (("150", "Câu 2."), ("01/12/2026", "Câu 3."),
                                   ("1", "Kiểm tra lại"), ("gửi", "đến 150 đoàn viên")):
                await peer.text(CS1, answer)
                await tg_last(peer, expect)

            # Zalo: no file goes; the link opens the PDF, for this unit only.
            text = await cs2._wait(0, "📄 Văn bản chỉ đạo số 1")
            found = FILE.search(text)
            assert found is not None and "DN 2" in text
            reader = Browser()
            try:
                status, data, kind = await reader.get_bytes(found.group(1))
                assert (status, data, kind) == (200, PDF, "application/pdf")
                status, page = await reader.get(found.group(1).removesuffix("/file"))
                assert status == 200 and "CĐCS Trường THCS Bảo Nhai" in page
                other = FILE.search(await cs3._wait(0, "📄 Văn bản chỉ đạo số 1"))
                assert other is not None and other.group(1) != found.group(1)
                status, page = await reader.get(other.group(1).removesuffix("/file"))
                assert "CĐCS Hợp tác xã Chè Cốc Ly" in page and "Bảo Nhai" not in page
                status, _ = await reader.get(f"{base}/web/m/madeuptokenmadeup/file")
                assert status == 404
            finally:
                await reader.close()
            await cs2.says("DN 2", "đã nhận văn bản chỉ đạo số 1")
            answer = LOGIN.search(text)
            assert answer is not None  # "Trả lời trên trang web"
            chair = Browser()
            try:
                _, page, url = await chair.sign_in(answer.group(0))
                assert url.endswith("/web/directives/r/2"), page
                status, page, url = await chair.post(f"{base}/web/directives/r/2/disseminated", {
                    "csrf": hidden(page, "csrf"), "reached": "80", "on": "2026-12-01",
                    "method": "nhom_zalo"})
                assert status == 200 and "done=disseminated" in url, page
                status, page = await chair.get(f"{base}/web/directives/r/3")
                assert status == 404  # another unit's row
            finally:
                await chair.close()

            # The third says nothing: reminded on the policy's steps, then overdue.
            clock.set(local(2026, 12, 7, 8, 0, 1))
            await cs3._wait(0, "Còn 3 ngày đến hạn; đơn vị chưa báo \"Đã nhận\".")
            clock.set(local(2026, 12, 12, 8, 0, 1))
            await cs3._wait(0, "Đã quá hạn; đơn vị chưa báo \"Đã nhận\".")
            notice = await official._wait(0, "📋 Văn bản chỉ đạo số 1")
            assert "1 đơn vị chưa trả lời dù đã quá hạn:\n• CĐCS Hợp tác xã Chè Cốc Ly" in notice
            assert not [t for t in cs2.received() if t.startswith("⏰")]
            assert not [m for m in await peer.chat(CS1.id)
                        if (m.get("text") or "").startswith("⏰")]
            figures = await official.says("chidao 1", "Đã quán triệt")
            assert "• Đã nhận: 2/3 đơn vị (67%)" in figures
            assert "• Đã quán triệt: 2/3 đơn vị (67%)" in figures
            assert "• Đoàn viên được quán triệt: 230/?" in figures
            assert "Quá hạn, chưa trả lời (1 đơn vị):\n• CĐCS Hợp tác xã Chè Cốc Ly" in figures
    finally:
        await app.close()
