"""The officials' console, on both databases: the overview's indicators and chart, the
hot-spot board and page, acting on a hot spot (the chat hears of it), the report list and its
search, the ledger and the audited export.

The demo tree: DEMO_TINH > DEMO_HUYEN ("canbo", official) > DEMO_CS1 ("demo", chair);
DEMO_TINH > DEMO_KCN > DEMO_CS4.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode

import openpyxl
import pytest
from sqlalchemy import select

from bot.app import App
from storage.models import AuditLog, Incident, OrgUnit
from tests.conftest import RecordingChannel
from tests.helpers import NGUNG_VIEC, invite, say
from tests.web.client import hidden, read, signed_in, text_of

EMERGENCY = [*NGUNG_VIEC, "gửi"]
PLAIN = ["/baocao", "2", "binh thuong", "5", "Công nhân hỏi về tiền thưởng cuối năm", "1",
         "xong", "gửi"]


async def unit_id(app: App, code: str) -> int:
    async with app.uows() as uow:
        found = await uow.session.scalar(select(OrgUnit.id).where(OrgUnit.code == code))
    assert found is not None
    return int(found)


@pytest.mark.timeout(120)
async def test_an_official_follows_and_acts_on_their_subtree_in_the_workplace(
        web_app: App, channel: RecordingChannel) -> None:
    await say(web_app, "demo", *EMERGENCY)
    await say(web_app, "demo", *PLAIN)
    async with web_app.uows() as uow:
        await web_app.calendar.plan(uow, web_app.clock.now())  # type: ignore[union-attr]
        await uow.commit()
    browser, base, _ = await signed_in(web_app, channel, "canbo")
    try:
        status, home = await browser.get(base + "/web/")
        assert 'id="nav-workplace"' in home
        status, page = await browser.get(base + "/web/workplace")
        assert status == 200, page
        assert text_of(page, "title") == "Liên đoàn Lao động huyện Bắc Hà (demo)"
        assert text_of(page, "v-open-hotspots") == "1"
        assert text_of(page, "v-enrolment") == "33%"  # the demo chair, of three CĐCS
        assert text_of(page, "detail-enrolment") == "1/3 CĐCS · chỉ tiêu 80%"
        week = text_of(page, "week")
        assert "Báo cáo mới: 2 (7 ngày trước đó: 0)" in week, week
        status, png, mime = await browser.get_bytes(base + "/web/workplace/chart.png")
        assert (status, mime, png[:4]) == (200, "image/png", b"\x89PNG")

        status, page = await browser.get(base + "/web/workplace/hotspots")
        assert status == 200
        assert "CĐCS Công ty TNHH May Bắc Hà" in text_of(page, "hotspot-1")
        assert text_of(page, "tab-open") == "Chưa tiếp nhận (1)"

        status, page = await browser.get(base + "/web/workplace/hotspots/1")
        assert "nợ lương hai tháng" in text_of(page, "card")  # the direct upper level reads
        assert text_of(page, "state") == "chưa tiếp nhận"
        assert text_of(page, "next-step") == (
            "Lúc 09:30 17/11/2026, nếu chưa ai tiếp nhận, bot báo: "
            "Liên đoàn Lao động huyện Bắc Hà (demo).")
        assert 'id="do-acknowledge"' in page
        channel.clear()
        status, page, _ = await browser.post(base + "/web/workplace/hotspots/1/acknowledge",
                                             {"csrf": hidden(page, "csrf")})
        await web_app.delivery.drain()
        assert status == 200
        assert text_of(page, "state").endswith("đã tiếp nhận")
        assert any("#1" in t and "tiếp nhận" in t for t in channel.texts("demo")), \
            channel.texts("demo")
        assert 'id="do-acknowledge"' not in page and 'id="do-resolve"' in page
        assert "tiếp nhận – canbo" in text_of(page, "log")

        status, page, _ = await browser.post(base + "/web/workplace/hotspots/1/resolve",
                                             {"csrf": hidden(page, "csrf"), "note": "  "})
        assert text_of(page, "error") == "Đồng chí cần ghi nội dung trước khi gửi."
        async with web_app.uows() as uow:
            incident = await uow.session.get(Incident, 1)
            assert incident is not None and incident.state == "acknowledged"
        channel.clear()
        status, page, _ = await browser.post(
            base + "/web/workplace/hotspots/1/resolve",
            {"csrf": hidden(page, "csrf"), "note": "Công ty đã trả đủ lương"})
        await web_app.delivery.drain()
        assert text_of(page, "state") == "đã giải quyết"
        assert "Công ty đã trả đủ lương" in text_of(page, "resolution")
        assert any("Công ty đã trả đủ lương" in t for t in channel.texts("demo"))
        assert 'id="do-reopen"' in page

        status, page = await browser.get(base + "/web/workplace/reports?q=no+luong")
        rows = [i for i in read(page).ids if i.startswith("report-")]
        assert len(rows) == 1, page
        status, page = await browser.get(base + "/web/workplace/reports")
        assert len([i for i in read(page).ids if i.startswith("report-")]) == 2

        status, page = await browser.get(base + "/web/workplace/ledger")
        assert status == 200
        assert "đã nộp 0/3" in text_of(page, "progress"), text_of(page, "progress")
        assert "CĐCS Hợp tác xã Chè Cốc Ly" in page

        cs = await unit_id(web_app, "DEMO_HUYEN")
        status, data, mime = await browser.get_bytes(
            base + "/web/workplace/export.xlsx?" + urlencode({"unit": cs, "period": "2026-11"}))
        assert status == 200 and mime.startswith("application/vnd.openxmlformats"), data[:200]
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        assert len(book.sheetnames) >= 3
        async with web_app.uows() as uow:
            audit = (await uow.session.scalars(select(AuditLog).where(
                AuditLog.action == "export"))).all()
        assert [a.details["via"] for a in audit] == ["web"]
    finally:
        await browser.close()


@pytest.mark.timeout(120)
async def test_above_the_direct_level_the_words_are_withheld_and_searches_do_not_see_them(
        web_app: App, channel: RecordingChannel) -> None:
    await say(web_app, "tinh", await invite(web_app, "DEMO_TINH", role="official"))
    await say(web_app, "demo", *EMERGENCY)
    browser, base, _ = await signed_in(web_app, channel, "tinh")
    try:
        status, page = await browser.get(base + "/web/workplace/hotspots/1")
        assert status == 200
        assert "nợ lương hai tháng" not in page
        assert "(đã ẩn" in text_of(page, "card") or "ẩn" in text_of(page, "card"), \
            text_of(page, "card")
        status, page = await browser.get(base + "/web/workplace/reports?q=no+luong")
        assert not [i for i in read(page).ids if i.startswith("report-")]
        status, page = await browser.get(base + "/web/workplace/reports?q=000001")
        assert [i for i in read(page).ids if i.startswith("report-")]
    finally:
        await browser.close()
