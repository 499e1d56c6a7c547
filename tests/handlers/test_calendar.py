"""The reporting calendar through the whole stack (SQLite and PostgreSQL), with a manual clock.

The demo tree: DEMO_TINH (province) > DEMO_HUYEN (district) > DEMO_CS1..3, and DEMO_KCN >
DEMO_CS4..6. "demo" chairs DEMO_CS1, "cs2" DEMO_CS2; "canbo" is the district's official,
"tinh" the province's, "kcn" the industrial zone's.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import App
from bot.clock import ManualClock
from storage.models import OrgUnit, OutboxMessage, PeriodObligation, Report
from tests.conftest import RecordingChannel
from tests.helpers import event, invite, say, seed

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# The monthly form, answered in full: 12 questions, then "gửi" on the confirmation card.
MONTHLY = ["120", "95", "2", "1", "1", "0", "0", "0", "1", "40", "co", "bo qua", "gửi"]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


class Timeline:
    """Everything the bot sends, stamped with the (manual) time it was sent."""

    def __init__(self, app: App, clock: ManualClock, channel: RecordingChannel) -> None:
        self.app, self.clock, self.channel = app, clock, channel
        self.seen = 0
        self.log: list[tuple[datetime, str, Any]] = []

    async def at(self, when: datetime) -> list[tuple[datetime, str, Any]]:
        self.clock.set(when)
        await self.app.fires.run_once()
        await self.app.delivery.drain()
        return self.collect()

    def collect(self) -> list[tuple[datetime, str, Any]]:
        now = self.clock.now().astimezone(TZ)
        new = [(now, who, m) for who, m in self.channel.sent[self.seen:]]
        self.seen = len(self.channel.sent)
        self.log += new
        return new

    async def say(self, who: str, *lines: str) -> None:
        await say(self.app, who, *lines)
        self.collect()

    async def press(self, who: str, code: str) -> None:
        await self.app.inbound.handle(event(who, code=code))
        await self.app.delivery.drain()
        self.collect()

    def reminders(self, who: str) -> list[tuple[str, str]]:
        """(local time "dd/mm HH:MM", first line) of every reminder sent to ``who``."""
        return [(f"{t:%d/%m %H:%M}", m.text) for t, w, m in self.log
                if w == who and m.text.startswith(("⏰", "⚠️"))]


async def chairs(app: App) -> None:
    await seed(app)
    await say(app, "cs2", await invite(app, "DEMO_CS2"))
    await say(app, "tinh", await invite(app, "DEMO_TINH", role="official"))
    await say(app, "kcn", await invite(app, "DEMO_KCN", role="official"))


async def ledger(app: App) -> dict[tuple[str, str, str], str]:
    async with app.uows() as uow:
        rows = await uow.session.execute(
            select(OrgUnit.code, PeriodObligation.kind, PeriodObligation.period,
                   PeriodObligation.status)
            .join(OrgUnit, OrgUnit.id == PeriodObligation.unit_id))
        return {(c, k, p): s for c, k, p, s in rows.all()}


async def obligation_id(app: App, unit: str, kind: str, period: str) -> int:
    async with app.uows() as uow:
        found = await uow.session.scalar(
            select(PeriodObligation.id).join(OrgUnit, OrgUnit.id == PeriodObligation.unit_id)
            .where(OrgUnit.code == unit, PeriodObligation.kind == kind,
                   PeriodObligation.period == period))
        assert found is not None
        return int(found)


def steps(*days: tuple[int, int]) -> list[str]:
    return [f"{d:02d}/{m:02d} 08:00" for d, m in days]


# -- a: a whole quarter, day by day -----------------------------------------------------------
async def test_a_quarter_day_by_day_reminds_on_the_right_days_and_hours(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    clock.set(local(2025, 12, 31, 12, 0))
    await chairs(app)
    await app.start_timers()
    line = Timeline(app, clock, channel)
    await line.at(local(2025, 12, 31, 12, 0))
    # Installed after December's and the fourth quarter's due dates: nobody owes those.
    assert await ledger(app) == {}

    day = date(2026, 1, 1)
    while day <= date(2026, 3, 31):
        for hour, minute in ((0, 5), (7, 59)):
            new = await line.at(local(day.year, day.month, day.day, hour, minute))
            assert new == [], (day, hour, [m.text for _, _, m in new])
        await line.at(local(day.year, day.month, day.day, 8, 0))
        if day == date(2026, 1, 17):
            # CĐCS 1 answers January's first reminder with "Không có gì mới".
            [(_, _, first)] = [e for e in line.log if e[1] == "demo"]
            assert [o.label for o in first.codes] == ["📝 Nộp báo cáo", "Không có gì mới"]
            await line.press("demo", first.codes[1].key)
            assert "Đã ghi nhận «Không có gì mới» cho Báo cáo tháng 01/2026." in \
                channel.texts("demo")[-1]
        if day == date(2026, 2, 26):
            # CĐCS 1 files February in full three days after its due date: late.
            await line.say("demo", "/dinhky", "1", *MONTHLY)
            assert "Báo cáo tháng 02/2026 được ghi nhận nộp muộn (hạn 23/02/2026)." in \
                channel.texts("demo")[-1]
        await line.at(local(day.year, day.month, day.day, 20, 0))
        day += timedelta(days=1)

    january = steps((17, 1), (19, 1), (20, 1), (22, 1), (24, 1), (26, 1))
    # 20/02 is a Tết holiday and 21-22/02 a weekend: February is due on Monday 23/02.
    february = steps((20, 2), (22, 2), (23, 2), (25, 2), (27, 2), (1, 3))
    march = steps((17, 3), (19, 3), (20, 3), (22, 3), (24, 3), (26, 3))
    cs2 = line.reminders("cs2")
    assert [t for t, _ in cs2] == sorted(january + february + march + march,
                                         key=lambda s: (s[3:5], s[:2]))
    texts = [x for _, x in cs2]
    assert texts[0].startswith(
        "⏰ Nhắc hạn: Báo cáo tháng 01/2026 của CĐCS Trường THCS Bảo Nhai hạn nộp 20/01/2026, "
        "còn 3 ngày.")
    assert "⏰ Hôm nay (23/02/2026) là hạn nộp Báo cáo tháng 02/2026 của CĐCS Trường THCS Bảo " \
        "Nhai." in texts
    assert "⚠️ CĐCS Trường THCS Bảo Nhai chưa nộp Báo cáo quý I/2026: hạn 20/03/2026 đã qua " \
        "6 ngày." in texts
    # The nil report stopped January's reminders after the first; the late report stopped
    # February's after the first overdue one.
    demo = line.reminders("demo")
    assert [t for t, _ in demo] == sorted(
        january[:1] + february[:4] + march + march, key=lambda s: (s[3:5], s[:2]))
    assert await ledger(app) == {
        **{(u, "thang", m): "missing" for u in ("DEMO_CS2", "DEMO_CS3", "DEMO_CS4", "DEMO_CS5",
                                               "DEMO_CS6") for m in ("2026-01", "2026-02",
                                                                     "2026-03")},
        **{(u, "quy", "2026-Q1"): "missing" for u in ("DEMO_CS1", "DEMO_CS2", "DEMO_CS3",
                                                       "DEMO_CS4", "DEMO_CS5", "DEMO_CS6")},
        **{(u, "nam", "2026"): "pending" for u in ("DEMO_CS1", "DEMO_CS2", "DEMO_CS3",
                                                    "DEMO_CS4", "DEMO_CS5", "DEMO_CS6")},
        ("DEMO_CS1", "thang", "2026-01"): "nil",
        ("DEMO_CS1", "thang", "2026-02"): "late",
        ("DEMO_CS1", "thang", "2026-03"): "missing",
    }
    async with app.uows() as uow:
        filed = (await uow.session.scalars(select(Report).order_by(Report.id))).all()
    assert [(r.form_id, r.period, r.nil, r.status) for r in filed] == [
        ("bao_cao_thang", "2026-01", True, "submitted"),
        ("bao_cao_thang", "2026-02", False, "submitted")]
    assert filed[1].answers["tong_so_lao_dong"] == 120


async def october(app: App, clock: ManualClock, channel: RecordingChannel) -> Timeline:
    """The demo tree with its chairs and officials, planned on 1 October 2026."""
    clock.set(local(2026, 10, 1, 7, 0))
    await chairs(app)
    await app.start_timers()
    line = Timeline(app, clock, channel)
    await line.at(local(2026, 10, 1, 7, 0))
    return line


def notices(line: Timeline, who: str) -> list[str]:
    return [m.text for _, w, m in line.log if w == who and m.text.startswith("📋")]


# -- b: the overdue list and one notice per official ----------------------------------------------
async def test_after_the_second_overdue_reminder_officials_get_one_notice_and_the_list(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    line = await october(app, clock, channel)
    oct_demo = await obligation_id(app, "DEMO_CS1", "thang", "2026-10")
    oct_cs2 = await obligation_id(app, "DEMO_CS2", "thang", "2026-10")
    clock.set(local(2026, 10, 5, 9, 0))
    await line.press("demo", f"KM {oct_demo}")  # nothing new, on time
    # Nobody overdue yet: /quahan still says how the periods being filed stand, by name.
    await line.say("canbo", "/quahan")
    now_filing = channel.texts("canbo")[-1].split("\n")
    assert now_filing[:4] == [
        "Không có đơn vị nào quá hạn báo cáo.", "", "Kỳ đang nộp:",
        "• Báo cáo tháng 10/2026 (hạn 20/10/2026): đã nộp 1/3; chưa nộp: CĐCS Trường THCS "
        "Bảo Nhai, CĐCS Hợp tác xã Chè Cốc Ly"]
    for when in (local(2026, 10, 20, 8, 0), local(2026, 10, 22, 8, 0)):
        await line.at(when)
    clock.set(local(2026, 10, 23, 10, 0))
    await line.press("cs2", f"NB {oct_cs2}")  # late, after the first overdue reminder
    await line.say("cs2", *MONTHLY)
    assert notices(line, "canbo") == []  # not listed before the second overdue reminder

    await line.at(local(2026, 10, 24, 8, 0))
    # One message per official, naming every unit of their subtree still owing.
    assert notices(line, "canbo") == [
        "📋 Quá hạn: 1 đơn vị thuộc Liên đoàn Lao động huyện Bắc Hà (demo) chưa nộp Báo cáo "
        "tháng 10/2026 (hạn 20/10/2026) dù đã được nhắc:\n• CĐCS Hợp tác xã Chè Cốc Ly\n"
        "Gõ /quahan để xem danh sách."]
    [kcn] = notices(line, "kcn")
    assert kcn.startswith("📋 Quá hạn: 3 đơn vị thuộc Công đoàn các Khu công nghiệp (demo)")
    [province] = notices(line, "tinh")
    assert province.count("\n• ") == 4 and "Chè Cốc Ly" in province and "Bảo Nhai" not in province
    await line.at(local(2026, 10, 26, 8, 0))  # the third overdue reminder: no second notice
    assert len(notices(line, "canbo")) == len(notices(line, "tinh")) == 1

    await line.say("canbo", "/quahan")
    assert channel.texts("canbo")[-1] == (
        "Đơn vị quá hạn báo cáo (1):\n"
        "• CĐCS Hợp tác xã Chè Cốc Ly – Báo cáo tháng 10/2026, hạn 20/10/2026 (quá 6 ngày)\n\n"
        "Báo cáo tháng 10/2026: 0 đúng hạn, 1 muộn, 1 không có gì mới, 1 chưa nộp / 3 đơn vị"
        "\n\nKỳ đang nộp:\n"
        "• Báo cáo năm 2026 (hạn 20/11/2026): đã nộp 0/3; chưa nộp: CĐCS Công ty TNHH May "
        "Bắc Hà, CĐCS Trường THCS Bảo Nhai, CĐCS Hợp tác xã Chè Cốc Ly\n"
        "• Báo cáo quý IV/2026 (hạn 21/12/2026): đã nộp 0/3; chưa nộp: CĐCS Công ty TNHH May "
        "Bắc Hà, CĐCS Trường THCS Bảo Nhai, CĐCS Hợp tác xã Chè Cốc Ly")
    await line.say("tinh", "qua han")
    assert channel.texts("tinh")[-1].startswith("Đơn vị quá hạn báo cáo (4):\n")
    assert "Báo cáo tháng 10/2026: 0 đúng hạn, 1 muộn, 1 không có gì mới, 4 chưa nộp / 6 đơn vị" \
        in channel.texts("tinh")[-1]
    await line.say("demo", "/quahan")
    assert channel.texts("demo")[-1] == \
        "Chỉ cán bộ công đoàn cấp trên mới xem được danh sách quá hạn."
    async with app.uows() as uow:
        assert uow is not None
        from handlers.calendar.overdue import compliance

        huyen = await uow.units.by_code("DEMO_HUYEN")
        assert huyen is not None
        figures = await compliance(uow, "thang", "2026-10", [huyen.path])
    assert (figures.on_time, figures.late, figures.nil, figures.missing, figures.units) == \
        (0, 1, 1, 1, 3)
    assert figures.on_time_rate == 1 / 3


async def test_deadlines_and_periodic_offer_what_the_unit_owes(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    line = await october(app, clock, channel)
    clock.set(local(2026, 10, 18, 9, 0))
    await line.say("demo", "/hanbaocao")
    assert channel.texts("demo")[-1] == (
        "Báo cáo định kỳ cần nộp:\n"
        "• Báo cáo tháng 10/2026 – hạn 20/10/2026 (còn 2 ngày)\n"
        "• Báo cáo năm 2026 – hạn 20/11/2026 (còn 33 ngày)\n"
        "• Báo cáo quý IV/2026 – hạn 21/12/2026 (còn 64 ngày)\n"
        "Gõ /dinhky để nộp.")
    # "không có gì mới" with three reports owed asks which one.
    await line.say("demo", "khong co gi moi")
    ask = channel.sent[-1][1]
    assert ask.text == "Chọn báo cáo định kỳ:"
    assert [c.label for c in ask.choices] == [
        "Báo cáo tháng 10/2026: Không có gì mới", "Báo cáo năm 2026: Không có gì mới",
        "Báo cáo quý IV/2026: Không có gì mới"]
    await line.say("demo", "3")
    assert "Đã ghi nhận «Không có gì mới» cho Báo cáo quý IV/2026." in channel.texts("demo")[-1]
    await line.say("cs2", "/hanbaocao")
    assert "• Báo cáo quý IV/2026 – hạn 21/12/2026 (còn 64 ngày)" in channel.texts("cs2")[-1]
    await line.say("canbo", "/dinhky")
    assert channel.texts("canbo")[-1] == "Chỉ cán bộ công đoàn cơ sở mới nộp được báo cáo định kỳ."
    # A reminder button of another unit changes nothing.
    other = await obligation_id(app, "DEMO_CS2", "thang", "2026-10")
    await line.press("demo", f"KM {other}")
    assert channel.texts("demo")[-1] == "Báo cáo này không thuộc đơn vị của đồng chí."
    assert (await ledger(app))[("DEMO_CS2", "thang", "2026-10")] == "pending"
    clock.set(local(2026, 10, 21, 9, 0))
    await line.say("demo", "/hanbaocao")
    assert "• Báo cáo tháng 10/2026 – hạn 20/10/2026 (quá hạn 1 ngày)" in \
        channel.texts("demo")[-1]


async def test_a_second_report_replaces_the_first_only_when_confirmed(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    line = await october(app, clock, channel)
    oct_demo = await obligation_id(app, "DEMO_CS1", "thang", "2026-10")
    clock.set(local(2026, 10, 5, 9, 0))
    await line.press("demo", f"KM {oct_demo}")
    clock.set(local(2026, 10, 25, 9, 0))  # after the due date: replacing keeps it on time
    await line.say("demo", "/dinhky")
    ask = channel.sent[-1][1]
    assert ask.choices[0].label == "Báo cáo tháng 10/2026: nộp lại (đã nộp 05/10/2026)"
    await line.say("demo", "1")
    assert "Báo cáo tháng 10/2026 đã được nộp lúc 09:00 05/10/2026. Báo cáo mới chỉ thay thế " \
        "báo cáo cũ khi đồng chí xác nhận." in channel.texts("demo")[-1]
    await line.say("demo", *MONTHLY)
    ask = channel.sent[-1][1]
    assert ask.text.endswith("Thay thế báo cáo đã nộp bằng báo cáo vừa gửi?")
    assert "Đơn vị đã nộp Báo cáo tháng 10/2026 (BC-2026-000001, lúc 09:00 05/10/2026)." in \
        ask.text
    assert [c.label for c in ask.choices] == ["Thay thế báo cáo cũ", "Giữ báo cáo cũ"]
    assert (await ledger(app))[("DEMO_CS1", "thang", "2026-10")] == "nil"  # not yet
    await line.say("demo", "thay the")
    assert channel.texts("demo")[-1] == ("Đã thay thế: BC-2026-000002 là Báo cáo tháng "
                                         "10/2026 của đơn vị. Báo cáo cũ vẫn được lưu trong "
                                         "lịch sử.")
    assert (await ledger(app))[("DEMO_CS1", "thang", "2026-10")] == "on_time"

    # A third, not confirmed: the second stays.
    await line.say("demo", "/dinhky", "1", *MONTHLY)
    await line.say("demo", "giu bao cao cu")
    assert channel.texts("demo")[-1].startswith("Đã giữ báo cáo cũ cho Báo cáo tháng 10/2026.")
    async with app.uows() as uow:
        filed = (await uow.session.scalars(select(Report).order_by(Report.id))).all()
        row = await uow.obligations.get(filed[0].unit_id, "thang", "2026-10")
    assert [(r.ref, r.nil, r.status, r.replaces_id) for r in filed] == [
        ("BC-2026-000001", True, "replaced", None),
        ("BC-2026-000002", False, "submitted", filed[0].id),
        ("BC-2026-000003", False, "kept_old", None)]
    assert row is not None and row.report_id == filed[1].id
    assert row.submitted_at == local(2026, 10, 5, 9, 0)  # the first filing's time is kept
    await line.say("demo", "/lichsu")
    history = channel.texts("demo")[-1]
    assert "BC-2026-000001 · 05/10/2026 09:00 · Báo cáo tháng 10/2026: Không có gì mới · " \
        "đã được thay thế" in history
    assert "BC-2026-000003 · 25/10/2026 09:00 · Báo cáo tháng 10/2026 · không thay thế" in history


async def test_overrides_and_units_added_mid_period(
    db_url: str, clock: ManualClock, channel: RecordingChannel, tmp_path: Any
) -> None:
    from tests.conftest import make_app

    policy = tmp_path / "policy.yaml"
    policy.write_text("calendar:\n  overrides:\n    DEMO_KCN: {thang: {due_day: 25}}\n",
                      encoding="utf-8")
    app = make_app(db_url, clock, channel, policy_file=policy)
    try:
        line = await october(app, clock, channel)
        async with app.uows() as uow:
            dues = dict((await uow.session.execute(
                select(OrgUnit.code, PeriodObligation.due_on)
                .join(OrgUnit, OrgUnit.id == PeriodObligation.unit_id)
                .where(PeriodObligation.kind == "thang"))).all())
        # 25/10/2026 is a Sunday: the industrial zone's units are due on Monday 26/10.
        assert dues == {**{f"DEMO_CS{i}": date(2026, 10, 20) for i in (1, 2, 3)},
                        **{f"DEMO_CS{i}": date(2026, 10, 26) for i in (4, 5, 6)}}
        # A new CĐCS joins the district on 10/10: the next plan gives it this month's row.
        from handlers.people.org_import import import_units

        clock.set(local(2026, 10, 10, 9, 0))
        async with app.uows() as uow:
            rows = [(2, {"ma": "DEMO_CS7", "ten": "CĐCS mới", "ma_cap_tren": "DEMO_HUYEN",
                         "cap": "Cơ sở"})]
            assert not (await import_units(uow, rows, clock.now())).errors
            await uow.commit()
        await line.at(local(2026, 10, 10, 9, 1))
        assert (await ledger(app))[("DEMO_CS7", "thang", "2026-10")] == "pending"
        await say(app, "cs7", await invite(app, "DEMO_CS7"))
        await line.at(local(2026, 10, 17, 8, 0))
        assert [t for t, _ in line.reminders("cs7")] == ["17/10 08:00"]
        assert line.reminders("kcn") == []  # no chair there; its units' step is on 23/10
        async with app.uows() as uow:
            kcn_steps = (await uow.session.scalars(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.kind == "reminder"))).all()
        assert all(":DEMO_KCN" not in k for k in kcn_steps)
    finally:
        await app.close()
