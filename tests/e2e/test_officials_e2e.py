"""The officials' views through the Telegram Bot API peer: the weekly digest arrives as a photo
(the chart) captioned with its text, and /xuat as an .xlsx document."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import ManualClock
from tests.e2e.conftest import running, telegram_app
from tests.e2e.peer import Peer, TgUser, eventually
from tests.helpers import invite, seed

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = datetime(2026, 11, 16, 8, 0, tzinfo=TZ)
OFFICIAL = TgUser(7101, "Hà Thị Bình")


def has(part: str) -> Any:
    return lambda ms: any(part in m["text"] for m in ms)


async def test_the_digest_is_a_captioned_photo_and_an_export_a_document(
    db_url: str, peer: Peer
) -> None:
    clock = ManualClock(MONDAY)
    app = telegram_app(db_url, peer, chat_interval_seconds=0.05, clock=clock)
    try:
        await seed(app)
        code = await invite(app, "DEMO_HUYEN", role="official")
        async with app.uows() as uow:  # last week, CĐCS 1 reported unpaid wages
            unit = await uow.units.by_code("DEMO_CS1")
            person = await uow.identities.get_or_create("console", "demo", "demo", "demo",
                                                        clock.now())
            assert unit is not None
            await uow.reports.add(
                ref="BC-2026-000001", unit_id=unit.id, person_id=person.person_id,
                identity_id=person.id, form_id="bao_cao_nhanh", form_version=1,
                period="2026-11", category="tien_luong", severity=None,
                answers={"linh_vuc": "tien_luong", "muc_do": "can_chu_y", "so_nguoi": 12,
                         "mo_ta": "Chậm trả lương tháng 10", "tinh_trang": "dang_xu_ly"},
                submitted_at=datetime(2026, 11, 12, 10, 0, tzinfo=TZ))
            await uow.commit()
        async with running(app):
            await peer.text(OFFICIAL, f"/start {code}")
            await peer.wait_chat(OFFICIAL.id, has("/trogiup"))
            await app.start_timers()
            for _ in range(2):
                await app.fires.run_once()
            app.delivery.wake()
            photos = await eventually(lambda: peer.calls("sendPhoto"), lambda cs: len(cs) == 1,
                                      "the digest's photo")
            [photo] = photos
            assert photo["chat_id"] in (OFFICIAL.id, str(OFFICIAL.id))
            assert photo["file"]["filename"] == "ban-tin-2026-11-16.png"
            assert photo["file"]["size"] > 10_000
            assert photo["caption"].startswith(
                "📊 Bản tin tuần 09/11 – 15/11/2026\nLiên đoàn Lao động huyện Bắc Hà (demo)\n"
                "📝 Báo cáo mới: 1 (tuần trước: 0)\n"
                "  • Tiền lương, nợ/chậm lương: 1 (trước: 0)")

            await peer.text(OFFICIAL, "/xuat 2026-11")
            await peer.wait_chat(OFFICIAL.id, has("⏳ Đang tạo tệp Excel Tháng 11/2026"))
            await app.fires.run_once()
            app.delivery.wake()
            [document] = await eventually(lambda: peer.calls("sendDocument"),
                                          lambda cs: len(cs) == 1, "the export's document")
            assert document["file"]["filename"] == "tinhhinh-DEMO_HUYEN-2026-11.xlsx"
            assert document["file"]["size"] > 4_000
            assert document["caption"] == (
                "📎 Excel Tháng 11/2026 – Liên đoàn Lao động huyện Bắc Hà (demo): 1 báo cáo, "
                "0 điểm nóng, 3 dòng tình hình nộp.")  # November is open for 3 CĐCS
    finally:
        await app.close()
