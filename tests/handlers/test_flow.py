"""The full inbound path on SQLite and PostgreSQL: enrolment, reports, isolation, restarts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.app import App
from bot.channels.base import Attachment
from bot.clock import ManualClock
from storage.models import AuditLog, Fire, Membership, OutboxMessage, ProcessedEvent
from tests.conftest import RecordingChannel, make_app
from tests.helpers import NGUNG_VIEC, NGUNG_VIEC_ANSWERS, attach, event, invite, reports, say, seed


async def test_chair_enrols_and_files_a_report(app: App, channel: RecordingChannel) -> None:
    await seed(app)
    code = await invite(app, "DEMO_CS2")
    await say(app, "an", f"/start {code}", *NGUNG_VIEC, "gửi")
    texts = channel.texts("an")
    assert any("CĐCS Trường THCS Bảo Nhai" in t and "chủ tịch CĐCS" in t for t in texts)
    assert "BC-2026-000001" in texts[-1]
    [report] = await reports(app)
    assert report.ref == "BC-2026-000001"
    assert report.answers == NGUNG_VIEC_ANSWERS
    assert (report.category, report.severity, report.period) == (
        "ngung_viec", "khan_cap", "2026-11",
    )
    async with app.uows() as uow:
        unit = await uow.units.by_code("DEMO_CS2")
        audit = (await uow.session.scalars(
            select(AuditLog.action).where(AuditLog.action.like("invite.%")).order_by(AuditLog.id)
        )).all()
    assert unit is not None and report.unit_id == unit.id
    assert list(audit) == ["invite.created", "invite.redeemed"]


async def test_restart_mid_draft_continues_the_same_draft(
    db_url: str, clock: ManualClock, channel: RecordingChannel
) -> None:
    first = make_app(db_url, clock, channel)
    await seed(first)
    await say(first, "demo", *NGUNG_VIEC[:4])  # up to muc_do
    await first.close()
    second = make_app(db_url, clock, channel)  # a new process on the same database
    channel.clear()
    await say(second, "demo", NGUNG_VIEC[4])  # the description (a strike skips so_nguoi)
    assert channel.texts("demo")[0].startswith("Câu 5. Tình trạng xử lý tại cơ sở?")
    await say(second, "demo", *NGUNG_VIEC[5:], "1")
    [report] = await reports(second)
    assert report.answers == NGUNG_VIEC_ANSWERS
    await second.close()


async def test_same_event_twice_gives_one_answer_and_one_reply(
    app: App, channel: RecordingChannel
) -> None:
    await seed(app)
    await say(app, "demo", "/baocao")
    channel.clear()
    twice = event("demo", "7", event_id="dup-1")
    assert (await app.inbound.handle(twice)).applied is True
    assert (await app.inbound.handle(twice)).applied is False
    await app.delivery.drain()
    assert channel.texts("demo") == [channel.texts("demo")[0]]
    assert channel.texts("demo")[0].startswith("Câu 2. Bao nhiêu người ngừng việc?")
    async with app.uows() as uow:
        conv = await uow.conversations.of_person(
            (await uow.identities.get_or_create("console", "demo", "demo", "", app.clock.now()))
            .person_id
        )
        seen = await uow.session.scalar(
            select(func.count()).select_from(ProcessedEvent).where(
                ProcessedEvent.event_id == "dup-1"
            )
        )
    assert conv is not None and conv.state is not None
    assert conv.state["session"]["answers"] == {"linh_vuc": "ngung_viec"}
    assert seen == 1


async def test_person_without_membership_cannot_file(app: App, channel: RecordingChannel) -> None:
    await seed(app)
    await say(app, "stranger", "/baocao", "7", "Ngừng việc")
    assert all("Đồng chí chưa tham gia" in t for t in channel.texts("stranger")[:1])
    assert await reports(app) == []
    async with app.uows() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Fire)) == 0


async def test_official_cannot_file_rapid_report(app: App, channel: RecordingChannel) -> None:
    await seed(app)
    await say(app, "canbo", "/baocao")
    assert "Chỉ cán bộ công đoàn cơ sở" in channel.texts("canbo")[-1]


async def test_chair_of_a_never_sees_unit_b_reports(app: App, channel: RecordingChannel) -> None:
    await seed(app)
    await say(app, "demo", *NGUNG_VIEC, "1")  # demo chairs DEMO_CS1
    code = await invite(app, "DEMO_CS4")
    await say(app, "binh", code, "/lichsu")
    assert "Đơn vị chưa có báo cáo nào." in channel.texts("binh")[-1]
    await say(app, "demo", "lich su")
    assert "BC-2026-000001" in channel.texts("demo")[-1]


async def test_wrong_codes_are_limited_to_five_an_hour(
    app: App, channel: RecordingChannel, clock: ManualClock
) -> None:
    await seed(app)
    good = await invite(app, "DEMO_CS3")
    await say(app, "x", *["ABCD2345"] * 5)
    assert "Còn 0 lần thử" in channel.texts("x")[-1]
    await say(app, "x", good)
    assert "sai mã mời 5 lần" in channel.texts("x")[-1]
    async with app.uows() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Membership)) == 2
    clock.advance(timedelta(hours=1, minutes=1))
    await say(app, "x", good.lower()[:4] + "-" + good.lower()[4:])
    # The welcome and the help that follows arrive as one message.
    assert "Chào mừng" in channel.texts("x")[-1] and "/baocao" in channel.texts("x")[-1]


async def test_invite_is_single_use_and_expires(
    app: App, channel: RecordingChannel, clock: ManualClock
) -> None:
    await seed(app)
    code = await invite(app, "DEMO_CS3")
    await say(app, "p1", code)
    await say(app, "p2", code)
    assert "dùng hết lượt" in channel.texts("p2")[-1]
    late = await invite(app, "DEMO_CS3", days=1)
    clock.advance(timedelta(days=2))
    await say(app, "p3", f"/start {late}")
    assert "hết hạn" in channel.texts("p3")[-1]


async def test_nudge_after_two_hours_then_expiry_after_seven_days(
    app: App, channel: RecordingChannel, clock: ManualClock
) -> None:
    await seed(app)
    await say(app, "demo", "/baocao", "1")
    channel.clear()
    clock.advance(timedelta(hours=1, minutes=59))
    assert await app.fires.run_once() == 0
    clock.advance(timedelta(minutes=2))
    assert await app.fires.run_once() == 1
    await app.delivery.drain()
    [nudge] = channel.texts("demo")  # the nudge and the question it repeats, as one message
    assert nudge.startswith("Đồng chí còn một báo cáo đang soạn dở")
    assert "\n\nCâu 2. Mức độ?" in nudge
    clock.advance(timedelta(days=7))
    assert await app.fires.run_once() == 1
    await app.delivery.drain()
    assert "đã quá hạn và đã bị xoá" in channel.texts("demo")[-1]
    await say(app, "demo", "2")
    assert "Gõ /baocao" in channel.texts("demo")[-1]
    assert await reports(app) == []


async def test_answers_move_the_nudge_without_writing_a_timer_each_time(
    app: App, channel: RecordingChannel, clock: ManualClock
) -> None:
    await seed(app)
    await say(app, "demo", "/baocao")
    started = clock.now()

    async def nudge_due() -> object:
        async with app.uows() as uow:
            return await uow.session.scalar(
                select(Fire.due_at).where(Fire.kind == "draft.nudge", Fire.status == "pending")
            )

    clock.advance(timedelta(hours=1))
    await say(app, "demo", "1", "2")
    assert await nudge_due() == started + timedelta(hours=2)  # answers wrote no timer row
    channel.clear()
    clock.advance(timedelta(hours=1, minutes=1))  # the armed time passes: it re-arms, silently
    await app.fires.run_once()
    await app.delivery.drain()
    assert channel.texts("demo") == []
    assert await nudge_due() == started + timedelta(hours=3)
    clock.advance(timedelta(hours=1))  # two hours after the last answer
    assert await app.fires.run_once() == 1
    await app.delivery.drain()
    [nudge] = channel.texts("demo")
    assert nudge.startswith("Đồng chí còn một báo cáo đang soạn dở") and "Câu 3" in nudge
    assert await nudge_due() is None
    await say(app, "demo", "25")  # answering after the nudge: no second nudge is armed
    clock.advance(timedelta(hours=3))
    channel.clear()
    await app.fires.run_once()
    await app.delivery.drain()
    assert channel.texts("demo") == []


async def test_attachment_is_stored_with_the_report(app: App, channel: RecordingChannel) -> None:
    await seed(app)
    await say(app, "demo", *NGUNG_VIEC[:-1])
    await attach(app, "demo", Attachment("photo", "/tmp/anh.jpg", 12345, "anh.jpg"))
    await say(app, "demo", "xong", "gui")
    [report] = await reports(app)
    assert report.answers["dinh_kem"] == [
        {"kind": "photo", "ref": "/tmp/anh.jpg", "size": 12345, "name": "anh.jpg"}
    ]


async def test_new_report_while_draft_open_asks_continue_or_discard(
    app: App, channel: RecordingChannel
) -> None:
    await seed(app)
    await say(app, "demo", "/baocao", "7", "/baocao")
    assert "Tiếp tục" in channel.texts("demo")[-1] or "tiếp tục" in channel.texts("demo")[-1]
    await say(app, "demo", "1")  # continue
    assert channel.texts("demo")[-1].startswith("Câu 2. Bao nhiêu người ngừng việc?")
    await say(app, "demo", "bao cao", "bo nhap")
    assert channel.texts("demo")[-1].startswith("Đã bỏ bản nháp cũ.")
    assert "\n\nCâu 1. Lĩnh vực phát sinh?" in channel.texts("demo")[-1]


async def test_language_switch_to_english(app: App, channel: RecordingChannel) -> None:
    await seed(app)
    await say(app, "demo", "/ngonngu", "2", "/report")
    assert channel.texts("demo")[-2] == "Language set to English."
    assert "\n\nQuestion 1. Which area is it about?" in channel.texts("demo")[-1]


async def test_replies_are_outbox_rows_sent_after_commit(app: App) -> None:
    await seed(app)
    await app.inbound.handle(event("demo", "/trogiup"))
    async with app.uows() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage))).all()
    assert [r.status for r in rows] == ["pending"]
    await app.delivery.drain()
    async with app.uows() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage))).all()
    assert [r.status for r in rows] == ["sent"]
