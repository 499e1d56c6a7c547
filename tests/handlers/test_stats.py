"""c. /thongke and /quahan over the seeded month (tests/handlers/week.py) agree with the
ledger and the incidents as stored, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import App
from bot.clock import ManualClock
from storage.models import Incident, OrgUnit, PeriodObligation
from tests.conftest import RecordingChannel
from tests.handlers.week import at, local, seeded_month
from tests.helpers import say


async def ledger_counts(app: App, subtree: str) -> dict[str, int]:
    """October's monthly ledger under a unit, straight from the table."""
    async with app.uows() as uow:
        top = await uow.units.by_code(subtree)
        assert top is not None
        rows = await uow.session.execute(
            select(PeriodObligation.status, func.count())
            .join(OrgUnit, OrgUnit.id == PeriodObligation.unit_id)
            .where(OrgUnit.path.like(f"{top.path}%"), PeriodObligation.kind == "thang",
                   PeriodObligation.period == "2026-10")
            .group_by(PeriodObligation.status))
        listed = await uow.session.scalar(
            select(func.count()).select_from(PeriodObligation)
            .join(OrgUnit, OrgUnit.id == PeriodObligation.unit_id)
            .where(OrgUnit.path.like(f"{top.path}%"),
                   PeriodObligation.overdue_since.is_not(None)))
        return {**{s: int(n) for s, n in rows.all()}, "listed": int(listed or 0)}


async def test_stats_and_overdue_match_the_ledger_and_incidents(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    await seeded_month(app, clock)
    await at(app, clock, local(2026, 11, 17, 9, 0))
    assert await ledger_counts(app, "DEMO_HUYEN") == {
        "on_time": 1, "nil": 1, "missing": 1, "listed": 1}
    async with app.uows() as uow:
        incidents = (await uow.session.execute(
            select(Incident.id, Incident.state).order_by(Incident.id))).all()
    assert [tuple(r) for r in incidents] == [
        (1, "open"), (2, "resolved"), (3, "acknowledged")]

    channel.clear()
    await say(app, "canbo", "thong ke")
    # 10/11 09:00-17/11 09:00 against 03/11-10/11: two reports against three, incident #3
    # opened and taken up in 2 hours, #2 resolved a day after it opened, #1 and #3 still
    # open after 48 hours (#1 never acknowledged).
    assert channel.texts("canbo") == ["""📊 Thống kê 7 ngày đến 09:00 17/11/2026
Liên đoàn Lao động huyện Bắc Hà (demo)
📝 Báo cáo mới: 2 (7 ngày trước đó: 3)
  • Lôi kéo, kích động, an ninh trật tự: 1 (trước: 1)
  • Tiền thưởng, phúc lợi: 1 (trước: 1)
  • Ngừng việc tập thể, đình công: 0 (trước: 1)
🔥 Điểm nóng: mới 1 · đã tiếp nhận 1 · đã giải quyết 1
⏱ Thời gian trung vị: tiếp nhận 2 giờ 0 phút · giải quyết 1 ngày 0 giờ
⚠️ Điểm nóng chưa giải quyết quá 48 giờ: 2 (chưa ai tiếp nhận: 1)
⏰ Đơn vị quá hạn báo cáo: 1 (xem /quahan)
✅ Báo cáo tháng 10/2026: nộp đúng hạn 67% (2/3 đơn vị)
👥 CĐCS tham gia bot: 2/3 (67%), chưa đạt mục tiêu trên 80%"""]

    channel.clear()
    await say(app, "canbo", "/quahan")
    # The same unit, and the same counts as the ledger (on time 1, nil 1, missing 1).
    [text] = channel.texts("canbo")
    overdue, progress = text.split("\n\nKỳ đang nộp:\n")
    assert overdue == (
        "Đơn vị quá hạn báo cáo (1):\n"
        "• CĐCS Hợp tác xã Chè Cốc Ly – Báo cáo tháng 10/2026, hạn 20/10/2026 (quá 28 ngày)\n"
        "\n"
        "Báo cáo tháng 10/2026: 1 đúng hạn, 0 muộn, 1 không có gì mới, 1 chưa nộp / 3 đơn vị")
    # Then the periods being filed now, from the same ledger.
    assert progress.split("\n")[0] == (
        "• Báo cáo năm 2026 (hạn 20/11/2026): đã nộp 0/3; chưa nộp: CĐCS Công ty TNHH May "
        "Bắc Hà, CĐCS Trường THCS Bảo Nhai, CĐCS Hợp tác xã Chè Cốc Ly")

    assert await ledger_counts(app, "DEMO_KCN") == {"missing": 3, "listed": 3}
    channel.clear()
    await say(app, "kcn", "/thongke")
    [zone] = channel.texts("kcn")
    assert "⏰ Đơn vị quá hạn báo cáo: 3 (xem /quahan)" in zone
    assert "✅ Báo cáo tháng 10/2026: nộp đúng hạn 0% (0/3 đơn vị)" in zone
    assert "Lôi kéo" not in zone and "🔥 Điểm nóng: mới 0" in zone

    channel.clear()
    await say(app, "demo", "thống kê")
    assert channel.texts("demo") == ["Thống kê dành cho cán bộ công đoàn cấp trên."]
