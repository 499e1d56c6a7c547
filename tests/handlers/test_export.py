"""b. Excel exports over the seeded month (tests/handlers/week.py), on SQLite and PostgreSQL:
the workbook's sheets, headers and rows; privacy by level; refusals; audit rows."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from sqlalchemy import select

from bot.app import App
from bot.clock import ManualClock
from storage.models import AuditLog, Fire
from tests.conftest import RecordingChannel
from tests.handlers.week import at, local, seeded_month
from tests.helpers import say

SHEETS = ["Báo cáo nhanh", "Báo cáo tháng", "Báo cáo quý", "Báo cáo năm", "Điểm nóng",
          "Tình hình nộp báo cáo", "Chỉ đạo"]
RAPID_HEADERS = (
    "Số báo cáo", "Mã đơn vị", "Đơn vị", "Người gửi", "Thời gian gửi", "Lĩnh vực",
    "Số người ngừng việc", "Số người bị thương", "Có người tử vong", "Mức độ",
    "Số người lao động liên quan", "Sự việc", "Tình trạng xử lý", "Đề xuất, kiến nghị",
    "Ảnh, tài liệu")
CS1 = ("DEMO_CS1", "CĐCS Công ty TNHH May Bắc Hà")
CS2 = ("DEMO_CS2", "CĐCS Trường THCS Bảo Nhai")
CS3 = ("DEMO_CS3", "CĐCS Hợp tác xã Chè Cốc Ly")
HIDDEN = "(chỉ cấp trên trực tiếp được xem)"


def rows(book: Workbook, sheet: str) -> list[tuple[Any, ...]]:
    return list(book[sheet].iter_rows(values_only=True))


def workbook_sent(channel: RecordingChannel, who: str) -> tuple[str, Workbook]:
    [message] = [m for a, m in channel.sent if a == who and m.file is not None]
    assert message.file is not None and message.file.kind == "document"
    assert message.file.data is not None
    return message.text, load_workbook(io.BytesIO(message.file.data))


async def audits(app: App, action: str) -> list[AuditLog]:
    async with app.uows() as uow:
        return list((await uow.session.scalars(
            select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))).all())


async def test_a_district_export_holds_its_quarter_in_six_sheets(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    await seeded_month(app, clock)
    await at(app, clock, local(2026, 11, 17, 9, 0))
    channel.clear()
    await say(app, "canbo", "/xuat 2026-Q4")
    assert channel.texts("canbo") == [
        "⏳ Đang tạo tệp Excel Quý IV/2026 của Liên đoàn Lao động huyện Bắc Hà (demo), bot sẽ "
        "gửi ngay khi xong."]
    await at(app, clock, local(2026, 11, 17, 9, 0))
    caption, book = workbook_sent(channel, "canbo")
    assert caption == ("📎 Excel Quý IV/2026 – Liên đoàn Lao động huyện Bắc Hà (demo): 7 báo "
                       "cáo, 3 điểm nóng, 9 dòng tình hình nộp.")
    assert book.sheetnames == SHEETS
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws["A1"].font.b
    assert book["Báo cáo nhanh"].auto_filter.ref == "A1:O6"

    rapid = rows(book, "Báo cáo nhanh")
    assert rapid[0] == RAPID_HEADERS
    # The district's five rapid reports of the quarter, not the industrial zone's; local
    # times; choice labels; the district is the direct upper level, so free text is shown.
    assert [r[:5] for r in rapid[1:]] == [
        ("BC-2026-000003", *CS1, "demo", datetime(2026, 11, 4, 10, 0)),
        ("BC-2026-000004", *CS1, "demo", datetime(2026, 11, 5, 9, 0)),
        ("BC-2026-000005", *CS1, "demo", datetime(2026, 11, 9, 10, 0)),
        ("BC-2026-000007", *CS2, "cs2", datetime(2026, 11, 11, 9, 0)),
        ("BC-2026-000008", *CS2, "cs2", datetime(2026, 11, 12, 14, 0))]
    assert rapid[3][5:] == (
        "Ngừng việc tập thể, đình công", 120, None, None, "Khẩn cấp", None,
        "Công nhân ngừng việc vì bị nợ lương hai tháng", "Cần cấp trên hỗ trợ",
        "Đề nghị LĐLĐ huyện vào cuộc", None)
    assert book["Báo cáo nhanh"]["E2"].number_format == "dd/mm/yyyy hh:mm"

    monthly = rows(book, "Báo cáo tháng")
    assert monthly[0][:7] == ("Số báo cáo", "Mã đơn vị", "Đơn vị", "Người gửi",
                              "Thời gian gửi", "Kỳ báo cáo", "Không có gì mới")
    assert monthly[1:] == [
        ("BC-2026-000001", *CS1, "demo", datetime(2026, 10, 15, 10, 0), "2026-10", None,
         120, 95, 2, "Ổn định", "Đủ việc", 0, 0, 0, 1, 40, "Có", None),
        ("BC-2026-000002", *CS2, "cs2", datetime(2026, 10, 19, 10, 0), "2026-10", "Có",
         *([None] * 12))]
    assert len(rows(book, "Báo cáo quý")) == 1 and len(rows(book, "Báo cáo năm")) == 1

    assert rows(book, "Điểm nóng")[1:] == [
        (1, "BC-2026-000004", *CS1, "🟠 NGHIÊM TRỌNG", "Chưa tiếp nhận",
         datetime(2026, 11, 5, 9, 0), None, None, None, None, None),
        (2, "BC-2026-000005", *CS1, "🔴 KHẨN CẤP", "Đã giải quyết",
         datetime(2026, 11, 9, 10, 0), datetime(2026, 11, 9, 10, 30), 30,
         datetime(2026, 11, 10, 10, 0), 24, "Đã làm việc với công ty, trả đủ lương"),
        (3, "BC-2026-000007", *CS2, "🟠 NGHIÊM TRỌNG", "Đã tiếp nhận",
         datetime(2026, 11, 11, 9, 0), datetime(2026, 11, 11, 11, 0), 120, None, None, None)]

    ledger = rows(book, "Tình hình nộp báo cáo")
    assert ledger[0] == ("Kỳ báo cáo", "Mã đơn vị", "Đơn vị", "Hạn nộp", "Tình trạng",
                         "Nộp lúc", "Số báo cáo", "Vào danh sách quá hạn lúc")
    assert [(r[0], r[1], r[4], r[6]) for r in ledger[1:]] == [
        ("Báo cáo tháng 10/2026", "DEMO_CS1", "Đúng hạn", "BC-2026-000001"),
        ("Báo cáo tháng 10/2026", "DEMO_CS2", "Không có gì mới", "BC-2026-000002"),
        ("Báo cáo tháng 10/2026", "DEMO_CS3", "Chưa nộp", None),
        ("Báo cáo tháng 11/2026", "DEMO_CS1", "Chưa đến hạn", None),
        ("Báo cáo tháng 11/2026", "DEMO_CS2", "Chưa đến hạn", None),
        ("Báo cáo tháng 11/2026", "DEMO_CS3", "Chưa đến hạn", None),
        ("Báo cáo quý IV/2026", "DEMO_CS1", "Chưa đến hạn", None),
        ("Báo cáo quý IV/2026", "DEMO_CS2", "Chưa đến hạn", None),
        ("Báo cáo quý IV/2026", "DEMO_CS3", "Chưa đến hạn", None)]
    assert ledger[3][7] == datetime(2026, 10, 24, 8, 0)  # CS3 on the overdue list

    [audit] = await audits(app, "export")
    assert audit.subject == "unit:DEMO_HUYEN"
    assert audit.details == {"period": "2026-Q4", "via": "console", "rows": {
        "bao_cao_nhanh": 5, "bao_cao_thang": 2, "bao_cao_quy": 0, "bao_cao_nam": 0,
        "incidents": 3, "ledger": 9, "directives": 0}, "free_text": "by_level"}


async def test_the_province_export_withholds_free_text_and_others_are_refused(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    await seeded_month(app, clock)
    await at(app, clock, local(2026, 11, 17, 9, 0))
    channel.clear()
    await say(app, "tinh", "xuat thang 11/2026")
    await at(app, clock, local(2026, 11, 17, 9, 0))
    _, book = workbook_sent(channel, "tinh")
    rapid = rows(book, "Báo cáo nhanh")
    # Both subtrees (six reports in November), and no report's own words: the province is
    # not the direct upper level of any CĐCS.
    assert [r[1] for r in rapid[1:]] == [
        "DEMO_CS1", "DEMO_CS1", "DEMO_CS1", "DEMO_CS4", "DEMO_CS2", "DEMO_CS2"]
    assert {r[11] for r in rapid[1:]} == {HIDDEN}
    assert rapid[3][13] == HIDDEN  # de_xuat
    assert rows(book, "Điểm nóng")[2][11] == HIDDEN  # the resolution note
    assert rapid[3][5:11] == ("Ngừng việc tập thể, đình công", 120, None, None, "Khẩn cấp",
                              None)

    # The industrial zone is outside the district official's subtree.
    channel.clear()
    await say(app, "canbo", "/xuat 2026-11 demo_kcn")
    assert channel.texts("canbo") == [
        "Không xuất được dữ liệu của Công đoàn các Khu công nghiệp (demo): đơn vị này không "
        "thuộc phạm vi đồng chí phụ trách."]
    [refused] = await audits(app, "export.refused")
    assert refused.subject == "unit:DEMO_KCN" and refused.details == {"period": "2026-11"}
    async with app.uows() as uow:
        builds = (await uow.session.scalars(
            select(Fire.payload).where(Fire.kind == "export.build"))).all()
        province = await uow.units.by_code("DEMO_TINH")
    # Only the province's own export was ever built.
    assert province is not None
    assert [(b["unit"], b["period"]) for b in builds] == [(province.id, "2026-11")]

    channel.clear()
    await say(app, "demo", "/xuat 2026-11")
    await say(app, "canbo", "/xuat thang muoi")
    assert channel.texts("demo") == ["Xuất Excel dành cho cán bộ công đoàn cấp trên."]
    assert channel.texts("canbo") == [
        "Không hiểu kỳ «thang muoi». Gõ ví dụ: /xuat 2026-10 (tháng), /xuat 2026-Q4 (quý) "
        "hoặc /xuat 2026 (năm)."]

    # Without a period: the recent ones are offered; "1" is last month.
    channel.clear()
    await say(app, "canbo", "xuat")
    [question] = [m for a, m in channel.sent if a == "canbo"]
    assert question.text == "Xuất Excel kỳ nào?"
    assert [o.label for o in question.choices] == [
        "Tháng 10/2026", "Tháng 11/2026", "Quý IV/2026", "Quý III/2026", "Năm 2026"]
    await say(app, "canbo", "1")
    await at(app, clock, local(2026, 11, 17, 9, 5))
    assert channel.texts("canbo")[-1].startswith("📎 Excel Tháng 10/2026 – Liên đoàn Lao động "
                                                 "huyện Bắc Hà (demo): 2 báo cáo, 0 điểm nóng")
    assert len(await audits(app, "export")) == 2
