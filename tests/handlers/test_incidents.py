"""Hot-spot incidents through the whole stack (SQLite and PostgreSQL), with a manual clock.

The demo tree: DEMO_TINH (province) > DEMO_HUYEN (district) > DEMO_CS1 (the chair "demo").
"canbo" is the district's official, "tinh" the province's, "kcn" an official of another
subtree (DEMO_KCN).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.app import App
from bot.clock import ManualClock
from storage.models import AuditLog, Fire, Incident, IncidentEvent, OutboxMessage
from tests.conftest import RecordingChannel, make_app
from tests.helpers import NGUNG_VIEC, event, invite, say, seed

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SERIOUS = ["/baocao", "11", "binh thuong", "10",
           "Có người lạ kích động công nhân tụ tập trước cổng", "2", "xong", "gửi"]
PLAIN = ["/baocao", "2", "binh thuong", "5", "Công nhân hỏi về tiền thưởng cuối năm", "1",
         "xong", "gửi"]
EMERGENCY = [*NGUNG_VIEC, "gửi"]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


async def officials(app: App) -> None:
    await seed(app)
    await say(app, "tinh", await invite(app, "DEMO_TINH", role="official"))
    await say(app, "kcn", await invite(app, "DEMO_KCN", role="official"))


def alerts(channel: RecordingChannel, who: str, number: int = 1) -> list[Any]:
    return [m for a, m in channel.sent if a == who and f"Điểm nóng #{number}\n" in m.text]


async def tick(app: App) -> int:
    fired = await app.fires.run_once()
    await app.delivery.drain()
    return fired


async def press(app: App, who: str, code: str) -> None:
    await app.inbound.handle(event(who, code=code))
    await app.delivery.drain()


async def rows(app: App, model: Any, **where: Any) -> list[Any]:
    async with app.uows() as uow:
        stmt = select(model).filter_by(**where).order_by(model.id)
        return list((await uow.session.scalars(stmt)).all())


async def count(app: App, model: Any, **where: Any) -> int:
    async with app.uows() as uow:
        stmt = select(func.count()).select_from(model).filter_by(**where)
        return int(await uow.session.scalar(stmt) or 0)


# -- b: when the first alert goes --------------------------------------------------------------
async def test_an_emergency_at_two_in_the_morning_alerts_the_district_at_once(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    await officials(app)
    clock.set(local(2026, 11, 18, 2, 0))
    channel.clear()
    await say(app, "demo", *EMERGENCY)
    [alert] = alerts(channel, "canbo")
    assert alert.text.startswith("🔴 KHẨN CẤP – Điểm nóng #1\n"
                                 "Đơn vị: CĐCS Công ty TNHH May Bắc Hà\n"
                                 "Báo cáo BC-2026-000001 lúc 02:00 18/11/2026")
    assert "• Sự việc: Công nhân ngừng việc vì bị nợ lương hai tháng" in alert.text
    assert "• Số người ngừng việc: 120" in alert.text
    # Telegram draws these as buttons; Zalo shows the typed codes.
    assert [(o.key, o.label) for o in alert.codes] == [
        ("TN 1", "Tiếp nhận"), ("GC 1", "Ghi chú"), ("GQ 1", "Đã giải quyết")]
    assert "«TN 1» – Tiếp nhận" in (alert.code_hint or "")
    assert alerts(channel, "tinh") == [] and alerts(channel, "kcn") == []
    assert "điểm nóng #1 (🔴 KHẨN CẤP). Cán bộ cấp trên đã được báo ngay." in \
        channel.texts("demo")[-1]
    [incident] = await rows(app, Incident)
    assert (incident.severity, incident.state, incident.step, incident.level) == \
        ("khan_cap", "open", 0, 0)
    assert incident.rules == {"matched": ["ngung_viec", "muc_do_khan_cap"]}
    [outbox] = await rows(app, OutboxMessage, kind="alert")
    assert outbox.priority == 0  # alerts go before everything else
    [fire] = await rows(app, Fire, kind="incident.step")
    assert fire.due_at == local(2026, 11, 18, 2, 30) and fire.payload == {"step": 1}


async def test_a_plain_report_opens_no_incident(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    await officials(app)
    channel.clear()
    await say(app, "demo", *PLAIN)
    assert await count(app, Incident) == 0
    assert channel.texts("canbo") == []
    assert "điểm nóng" not in channel.texts("demo")[-1]


async def test_a_serious_report_on_friday_evening_alerts_on_monday_at_half_past_seven(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    await officials(app)
    clock.set(local(2026, 11, 20, 18, 0))
    channel.clear()
    await say(app, "demo", *SERIOUS)
    assert "sẽ được báo vào giờ làm việc: 07:30 23/11/2026" in channel.texts("demo")[-1]
    assert alerts(channel, "canbo") == []
    clock.set(local(2026, 11, 23, 7, 29))
    assert await tick(app) == 0
    assert alerts(channel, "canbo") == []
    clock.set(local(2026, 11, 23, 7, 30))
    assert await tick(app) == 1
    [alert] = alerts(channel, "canbo")
    assert alert.text.startswith("🟠 NGHIÊM TRỌNG – Điểm nóng #1")
    # Not acknowledged in four working hours: the province, at 11:30, and only then.
    clock.set(local(2026, 11, 23, 11, 29))
    assert await tick(app) == 0
    clock.set(local(2026, 11, 23, 11, 30))
    assert await tick(app) == 1
    [up] = alerts(channel, "tinh")
    assert "chưa tiếp nhận sau 240 phút làm việc" in up.text
    assert len(alerts(channel, "canbo")) == 1  # no repeats for a serious incident


async def test_a_holiday_in_the_policy_file_is_skipped(
    db_url: str, clock: ManualClock, channel: RecordingChannel, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("working_hours:\n  holidays: [2026-11-23]\n", encoding="utf-8")
    app = make_app(db_url, clock, channel, policy_file=policy)
    try:
        await officials(app)
        clock.set(local(2026, 11, 20, 18, 0))
        await say(app, "demo", *SERIOUS)
        assert "07:30 24/11/2026" in channel.texts("demo")[-1]
        clock.set(local(2026, 11, 23, 12, 0))
        assert await tick(app) == 0
        clock.set(local(2026, 11, 24, 7, 30))
        assert await tick(app) == 1
        assert len(alerts(channel, "canbo")) == 1
    finally:
        await app.close()


# -- c: escalation, acknowledgement, resolution --------------------------------------------
async def test_no_acknowledgement_in_thirty_minutes_brings_in_the_province_until_acknowledged(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    await officials(app)
    clock.set(local(2026, 11, 18, 2, 0))
    await say(app, "demo", *EMERGENCY)
    clock.set(local(2026, 11, 18, 2, 29))
    assert await tick(app) == 0
    clock.set(local(2026, 11, 18, 2, 30))
    assert await tick(app) == 1
    [up] = alerts(channel, "tinh")
    assert "⬆ Chuyển lên: Liên đoàn Lao động huyện Bắc Hà (demo) chưa tiếp nhận sau 30 phút." \
        in up.text
    assert [(o.key) for o in up.codes] == ["TN 1", "GC 1", "GQ 1"]
    again = alerts(channel, "canbo")
    assert len(again) == 2 and "🔁 Nhắc lần 2: chưa ai tiếp nhận sau 30 phút." in again[1].text
    # Privacy by level: the district (direct upper level) reads the chair's own words, the
    # province reads the figures and that the words are withheld.
    assert "• Sự việc: Công nhân ngừng việc vì bị nợ lương hai tháng" in again[1].text
    assert "• Đề xuất, kiến nghị: Đề nghị LĐLĐ huyện vào cuộc" in again[1].text
    assert "• Sự việc: (chỉ cấp trên trực tiếp được xem)" in up.text
    assert "• Đề xuất, kiến nghị: (chỉ cấp trên trực tiếp được xem)" in up.text
    assert "nợ lương hai tháng" not in up.text and "• Số người ngừng việc: 120" in up.text

    # The province acknowledges: everyone concerned hears who did.
    channel.clear()
    await say(app, "tinh", "tn 1")
    assert channel.texts("tinh")[-1].startswith("Đồng chí đã tiếp nhận điểm nóng #1.")
    assert channel.texts("demo") == [
        "Báo cáo BC-2026-000001 (điểm nóng #1) đã được tinh – Liên đoàn Lao động tỉnh Demo "
        "tiếp nhận lúc 02:30 18/11/2026."]
    assert channel.texts("canbo") == [
        "Điểm nóng #1 đã được tinh – Liên đoàn Lao động tỉnh Demo tiếp nhận lúc 02:30 18/11/2026."]

    # Every later step is stopped.
    channel.clear()
    for minutes in (30, 60, 90, 120, 600):
        clock.set(local(2026, 11, 18, 2, 30) + timedelta(minutes=minutes))
        await tick(app)
    assert alerts(channel, "canbo") == [] and alerts(channel, "tinh") == []

    # Resolved with a note: the reporter reads the note.
    await say(app, "tinh", "GQ 1: Đã làm việc với công ty, trả đủ lương tháng 10")
    assert channel.texts("demo")[-1].endswith(
        "giải quyết lúc 12:30 18/11/2026.\n"
        "Kết quả: Đã làm việc với công ty, trả đủ lương tháng 10")
    [incident] = await rows(app, Incident)
    assert incident.state == "resolved"
    assert incident.resolution == "Đã làm việc với công ty, trả đủ lương tháng 10"
    kinds = [e.kind for e in await rows(app, IncidentEvent)]
    assert kinds == ["opened", "alerted", "alerted", "acknowledged", "resolved"]
    audit = [(a.action, a.actor_person_id) for a in await rows(app, AuditLog)
             if a.action.startswith("incident.")]
    tinh = (await rows(app, IncidentEvent, kind="acknowledged"))[0].actor_person_id
    assert audit[1:] == [("incident.acknowledged", tinh), ("incident.resolved", tinh)]
    assert audit[0][0] == "incident.opened"
    # Nothing is left to fire for it.
    assert await count(app, Fire, status="pending") == 0


async def test_an_acknowledged_incident_left_unresolved_reminds_after_24_hours(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    await officials(app)
    clock.set(local(2026, 11, 18, 2, 0))
    await say(app, "demo", *EMERGENCY)
    clock.set(local(2026, 11, 18, 2, 10))
    await say(app, "canbo", "TN 1")
    channel.clear()
    clock.set(local(2026, 11, 19, 2, 9))
    assert await tick(app) == 0
    clock.set(local(2026, 11, 19, 2, 10))
    assert await tick(app) == 1
    for who in ("canbo", "tinh"):
        [reminder] = alerts(channel, who)
        assert "⏰ Đã tiếp nhận (canbo, 02:10 18/11/2026) nhưng chưa giải quyết sau 24 giờ." \
            in reminder.text
        assert [o.key for o in reminder.codes] == ["GC 1", "GQ 1"]
    assert channel.texts("demo") == []


async def test_a_button_without_a_note_asks_for_it_and_notes_reopen_the_ladder(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    await officials(app)
    clock.set(local(2026, 11, 18, 9, 0))
    await say(app, "demo", *EMERGENCY)
    await press(app, "canbo", "GC 1")
    assert channel.texts("canbo")[-1] == "Nhập ghi chú cho điểm nóng #1:"
    await say(app, "canbo", "Đã gọi điện cho chủ tịch CĐCS, đang xác minh")
    assert channel.texts("canbo")[-1] == "Đã ghi chú vào điểm nóng #1."
    [noted] = await rows(app, IncidentEvent, kind="noted")
    assert noted.note == "Đã gọi điện cho chủ tịch CĐCS, đang xác minh"
    await press(app, "canbo", "MO 1")
    assert "chưa được giải quyết" in channel.texts("canbo")[-1]
    await press(app, "canbo", "GQ 1")
    assert "Nhập kết quả giải quyết điểm nóng #1" in channel.texts("canbo")[-1]
    await press(app, "canbo", "GQ 1")  # pressed again: asked again, nothing stored
    await say(app, "canbo", "Công ty cam kết trả lương trước 25/11")
    [incident] = await rows(app, Incident)
    assert incident.state == "resolved" and incident.acknowledged_at is not None
    channel.clear()
    clock.set(local(2026, 11, 18, 10, 0))
    await say(app, "canbo", "mo lai 1 cong ty chua tra")
    assert channel.texts("canbo")[-1].startswith("Đã mở lại điểm nóng #1.")
    assert "mở lại lúc 10:00 18/11/2026" in channel.texts("demo")[-1]
    # The ladder starts again from the parent, with the reopening said.
    [again] = alerts(channel, "canbo")
    assert "↩ Điểm nóng được mở lại." in again.text
    assert [o.key for o in again.codes] == ["TN 1", "GC 1", "GQ 1"]
    clock.set(local(2026, 11, 18, 10, 30))
    assert await tick(app) == 1
    assert len(alerts(channel, "tinh")) == 1
    kinds = [e.kind for e in await rows(app, IncidentEvent)]
    assert kinds == ["opened", "alerted", "noted", "resolved", "reopened", "alerted", "alerted"]


# -- d: who may act -------------------------------------------------------------------------
async def test_an_official_of_another_subtree_cannot_acknowledge(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    await officials(app)
    await say(app, "demo", *EMERGENCY)
    before = await count(app, OutboxMessage)
    for attempt in ("TN 1", "GQ 1 xong roi", "GC 1 ghi chu"):
        await say(app, "kcn", attempt)
        assert channel.texts("kcn")[-1] == (
            "Điểm nóng #1 không thuộc đơn vị anh/chị phụ trách. Không có gì thay đổi.")
    await say(app, "kcn", "TN 99")
    assert channel.texts("kcn")[-1] == "Không có điểm nóng #99. Kiểm tra lại số."
    # A refused button press answers with a toast too, and is not marked as done.
    handled = await app.inbound.handle(event("kcn", code="TN 1"))
    assert handled.notice == (
        "Điểm nóng #1 không thuộc đơn vị anh/chị phụ trách. Không có gì thay đổi.")
    assert not handled.accepted
    await app.delivery.drain()
    # A chair's look-alike text is not an action, and a pressed code is refused.
    await press(app, "demo", "TN 1")
    assert channel.texts("demo")[-1] == "Chỉ cán bộ công đoàn cấp trên mới xử lý được điểm nóng."
    [incident] = await rows(app, Incident)
    assert (incident.state, incident.acknowledged_by, incident.version) == ("open", None, 0)
    assert [e.kind for e in await rows(app, IncidentEvent)] == ["opened", "alerted"]
    assert await count(app, OutboxMessage) == before + 6  # the six answers, nothing else


async def test_two_officials_pressing_at_once_record_one_acknowledgement(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    await officials(app)
    await say(app, "demo", *EMERGENCY)
    clock.advance(timedelta(minutes=30))
    await tick(app)  # the province is alerted too
    channel.clear()
    await asyncio.gather(app.inbound.handle(event("canbo", code="TN 1")),
                         app.inbound.handle(event("tinh", code="TN 1")))
    await app.delivery.drain()
    [ack] = await rows(app, IncidentEvent, kind="acknowledged")
    assert await count(app, AuditLog, action="incident.acknowledged") == 1
    winner, loser = ("canbo", "tinh") if channel.texts("canbo")[0].startswith("Đồng chí") \
        else ("tinh", "canbo")
    assert channel.texts(winner)[0].startswith("Đồng chí đã tiếp nhận điểm nóng #1.")
    assert channel.texts(loser)[0].startswith(f"Điểm nóng #1 đã được {winner}")
    [incident] = await rows(app, Incident)
    assert incident.acknowledged_by == ack.actor_person_id
    # The reporter hears once.
    assert len([t for t in channel.texts("demo") if "tiếp nhận" in t]) == 1


# -- /diemnong --------------------------------------------------------------------------------
async def test_hotspots_lists_the_subtrees_open_incidents_oldest_first(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    await officials(app)
    clock.set(local(2026, 11, 18, 9, 0))
    await say(app, "demo", *SERIOUS)
    clock.set(local(2026, 11, 18, 10, 0))
    await say(app, "demo", *EMERGENCY)
    await say(app, "demo", *PLAIN)
    clock.set(local(2026, 11, 18, 10, 40))
    await say(app, "canbo", "TN 2")
    clock.set(local(2026, 11, 20, 11, 5))
    await say(app, "tinh", "diem nong")
    assert channel.texts("tinh")[-1] == (
        "Điểm nóng chưa giải quyết: 2\n"
        "#1 · 🟠 NGHIÊM TRỌNG · CĐCS Công ty TNHH May Bắc Hà · 2 ngày 2 giờ · chưa tiếp nhận\n"
        "#2 · 🔴 KHẨN CẤP · CĐCS Công ty TNHH May Bắc Hà · 2 ngày 1 giờ · canbo đã tiếp nhận\n"
        "Trả lời «TN <số>» để tiếp nhận, «GQ <số> <kết quả>» khi đã giải quyết.")
    await say(app, "kcn", "/diemnong")
    assert channel.texts("kcn")[-1] == (
        "Không có điểm nóng nào chưa giải quyết trong các đơn vị anh/chị phụ trách.")
    await say(app, "demo", "/diemnong")
    assert channel.texts("demo")[-1] == "Chỉ cán bộ công đoàn cấp trên mới xử lý được điểm nóng."
    await say(app, "canbo", "GQ 2 da xong")
    await say(app, "canbo", "hotspots")
    assert channel.texts("canbo")[-1].startswith("Điểm nóng chưa giải quyết: 1\n#1 ·")


async def test_a_changed_policy_does_not_rewrite_an_open_incident(
    db_url: str, clock: ManualClock, channel: RecordingChannel, tmp_path: Path
) -> None:
    before = make_app(db_url, clock, channel)
    await officials(before)
    clock.set(local(2026, 11, 18, 2, 0))
    await say(before, "demo", *EMERGENCY)
    await before.close()
    policy = tmp_path / "policy.yaml"
    policy.write_text("escalation:\n  khan_cap: {ack_minutes: 10}\n", encoding="utf-8")
    after = make_app(db_url, clock, channel, policy_file=policy)
    try:
        clock.set(local(2026, 11, 18, 2, 20))
        assert await tick(after) == 0  # still the 30 minutes it opened with
        clock.set(local(2026, 11, 18, 2, 30))
        assert await tick(after) == 1
        [fire] = await rows(after, Fire, kind="incident.step")
        assert fire.due_at == local(2026, 11, 18, 3, 0) and fire.payload == {"step": 2}
        # A new emergency takes the new ladder.
        await say(after, "demo", *EMERGENCY)
        steps = {f.target: f.due_at for f in await rows(after, Fire, kind="incident.step")}
        assert steps["incident:2"] == local(2026, 11, 18, 2, 40)
    finally:
        await after.close()
