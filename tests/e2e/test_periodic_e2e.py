"""Periodic reports end to end: the calendar reminds a chair, who files from the reminder, on
Telegram (buttons, through the Bot API peer) and on Zalo (typed one-word codes). The clock is
set to 08:00 on 17/10/2026, October's "3 days before" reminder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import App
from bot.clock import ManualClock
from storage.models import OrgUnit, PeriodObligation
from tests.e2e.conftest import running, telegram_app
from tests.e2e.peer import Peer, TgUser, button, eventually
from tests.e2e.test_zalo import Chat, serving, zalo_app
from tests.e2e.zalo_peer import ZaloPeer, ZaloUser
from tests.helpers import invite, seed

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
REMINDER_AT = datetime(2026, 10, 17, 8, 0, tzinfo=TZ)
CHAIR = TgUser(7001, "Lò Văn An")
# The monthly report typed in full, with the question each answer brings.
MONTHLY = [("120", "Câu 2."), ("95", "Câu 3."), ("2", "Câu 4."), ("on dinh", "Câu 5."),
           ("du viec", "Câu 6."), ("0", "Câu 7."), ("0", "Câu 8."), ("1", "Câu 9."),
           ("2", "Câu 10."), ("80", "Câu 11."), ("co", "Câu 12."),
           ("Đề nghị hỗ trợ tổ chức đối thoại", "Kiểm tra lại Báo cáo tháng")]


def has(part: str) -> Any:
    return lambda ms: any(part in m["text"] for m in ms)


async def october_status(app: App) -> str | None:
    async with app.uows() as uow:
        return await uow.session.scalar(
            select(PeriodObligation.status).join(OrgUnit, OrgUnit.id == PeriodObligation.unit_id)
            .where(OrgUnit.code == "DEMO_CS1", PeriodObligation.period == "2026-10"))


async def remind(app: App) -> None:
    """What the scheduler does at 08:00: the day's plan, then the step it made."""
    await app.start_timers()
    await app.fires.run_once()
    await app.fires.run_once()


async def test_a_chair_files_the_monthly_report_from_the_telegram_reminder(
    db_url: str, peer: Peer
) -> None:
    app = telegram_app(db_url, peer, chat_interval_seconds=0.05,
                       clock=ManualClock(REMINDER_AT))
    try:
        await seed(app)
        code = await invite(app, "DEMO_CS1")
        async with running(app):
            await peer.text(CHAIR, f"/start {code}")
            await peer.wait_chat(CHAIR.id, has("/trogiup"))
            await remind(app)
            messages = await peer.wait_chat(CHAIR.id, has("⏰ Nhắc hạn"))
            reminder = next(m for m in messages if "⏰ Nhắc hạn" in m["text"])
            assert reminder["text"] == (
                "⏰ Nhắc hạn: Báo cáo tháng 10/2026 của CĐCS Công ty TNHH May Bắc Hà hạn nộp "
                "20/10/2026, còn 3 ngày.")
            labels = [b["text"] for row in reminder["reply_markup"]["inline_keyboard"]
                      for b in row]
            assert labels == ["📝 Nộp báo cáo", "Không có gì mới"]

            # One tap into the form.
            await peer.press(CHAIR, reminder, button(reminder, "Nộp báo cáo"))
            await peer.wait_chat(CHAIR.id, has("Báo cáo tháng 10/2026 – CĐCS Công ty TNHH May "
                                               "Bắc Hà"))
            for answer, expect in MONTHLY:
                await peer.text(CHAIR, answer)
                await peer.wait_chat(CHAIR.id, has(expect))
            card = (await peer.chat(CHAIR.id))[-1]
            await peer.press(CHAIR, card, button(card, "Gửi"))
            await peer.wait_chat(CHAIR.id, has("Số báo cáo: BC-2026-000001"))
            assert await eventually(lambda: october_status(app), lambda s: s == "on_time",
                                    "October on time") == "on_time"

            # Filed: /hanbaocao no longer lists October.
            await peer.text(CHAIR, "/hanbaocao")
            messages = await peer.wait_chat(CHAIR.id, has("Báo cáo định kỳ cần nộp"))
            assert "tháng 10/2026" not in messages[-1]["text"]
    finally:
        await app.close()


async def test_a_chair_answers_the_zalo_reminder_with_nothing_new(
    db_url: str, zalo_peer: ZaloPeer, tmp_path: Path
) -> None:
    token = zalo_peer.add_bot()
    app = zalo_app(db_url, zalo_peer, token, tmp_path, clock=ManualClock(REMINDER_AT),
                   fire_poll_seconds=0.2)
    await seed(app)
    chair = Chat(zalo_peer, token, ZaloUser("c0ffee00c0ffee00c0fe", "Lò Văn Minh"))
    try:
        async with serving(app):  # `tinhhinh run`: it plans and reminds on its own
            await chair.says(await invite(app, "DEMO_CS1"), "/trogiup")
            reminder = await chair._wait(0, "⏰ Nhắc hạn")
            # No buttons on Zalo: the reply is spelled out, one code with the report's number.
            assert "Báo cáo tháng 10/2026 của CĐCS Công ty TNHH May Bắc Hà hạn nộp 20/10/2026" \
                in reminder
            async with app.uows() as uow:
                number = await uow.session.scalar(
                    select(PeriodObligation.id)
                    .join(OrgUnit, OrgUnit.id == PeriodObligation.unit_id)
                    .where(OrgUnit.code == "DEMO_CS1", PeriodObligation.period == "2026-10"))
            assert f"Trả lời «NB {number}» để nộp báo cáo, «KM {number}» nếu kỳ này không có " \
                "gì mới (hoặc gõ «dinhky»)." in reminder
            await chair.says(f"km {number}", "Đã ghi nhận «Không có gì mới» cho Báo cáo "
                                             "tháng 10/2026.")
            # The one word lists what is still owed.
            offer = await chair.says("dinhky", "Chọn báo cáo định kỳ")
            assert "1. Báo cáo tháng 10/2026: nộp lại (đã nộp 17/10/2026)" in offer
            assert "Báo cáo quý IV/2026 (hạn 21/12/2026)" in offer
    finally:
        await app.close()
    assert await october_status(app) == "nil"
