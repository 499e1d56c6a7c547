"""Directives in the chat, on both databases: an official publishes with /chidao, chairs
answer with codes and the short form, reminders go only to units that owe on the policy's
steps, the figures are exact, and nobody answers or reads what is not theirs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime

import pytest
from sqlalchemy import select

from bot.app import App
from bot.clock import ManualClock
from handlers.directives.publishing import Actor, Refused, Written
from handlers.figures.digest import week_bounds
from handlers.figures.gather import gather
from handlers.reports.page import NotYours
from storage.directive_models import DirectiveRecipient
from storage.models import AuditLog, Fire
from tests.conftest import RecordingChannel, make_app
from tests.handlers.test_calendar import Timeline, local
from tests.handlers.test_export import workbook_sent
from tests.helpers import invite, say, seed

START = local(2026, 12, 1, 9, 0)  # a Tuesday
WRITE = ["/chidao", "Triển khai Nghị quyết Đại hội Công đoàn tỉnh",
         "Đề nghị các CĐCS quán triệt Nghị quyết đến toàn thể đoàn viên", "10/12/2026", "2"]


@pytest.fixture
async def district(db_url: str, channel: RecordingChannel) -> AsyncIterator[App]:
    """The demo province: an official of the district (canbo), chairs of its three CĐCS
    (demo, cs2, cs3) and an official of the industrial zones (kcn)."""
    app = make_app(db_url, ManualClock(START), channel)
    await seed(app)
    for who, unit, role in (("cs2", "DEMO_CS2", "chair"), ("cs3", "DEMO_CS3", "chair"),
                            ("kcn", "DEMO_KCN", "official")):
        await say(app, who, await invite(app, unit, role=role))
    channel.clear()
    yield app
    await app.close()


async def ledger(app: App) -> dict[int, tuple[str, int | None]]:
    async with app.uows() as uow:
        rows = (await uow.session.scalars(select(DirectiveRecipient)
                                          .order_by(DirectiveRecipient.id))).all()
        return {r.id: (r.state, r.reached) for r in rows}


async def publish_in_chat(app: App) -> None:
    await say(app, "canbo", *WRITE, "gửi")


async def test_an_official_publishes_in_the_chat_and_chairs_answer_by_code_and_form(
        district: App, channel: RecordingChannel) -> None:
    await publish_in_chat(district)
    assert any("Đã gửi văn bản chỉ đạo số 1 đến 3 công đoàn cơ sở" in t
               for t in channel.texts("canbo"))
    [to_cs2] = [m for a, m in channel.sent if a == "cs2"]
    assert to_cs2.text.startswith("📄 Văn bản chỉ đạo số 1 của Liên đoàn Lao động huyện")
    assert "CĐCS Trường THCS Bảo Nhai" in to_cs2.text and "/web/m/" in to_cs2.text
    assert [o.key for o in to_cs2.codes] == ["DN 2", "QT 2"]
    channel.clear()
    await say(district, "demo", "DN 1")
    assert "đã nhận văn bản chỉ đạo số 1" in channel.texts("demo")[0]
    await say(district, "demo", "qt 1", "150", "01/12/2026", "hoi nghi", "gửi")
    assert "đến 150 đoàn viên (ngày 01/12/2026)" in channel.texts("demo")[-1]
    await say(district, "cs2", "da nhan 2")
    assert await ledger(district) == {1: ("disseminated", 150), 2: ("received", None),
                                      3: ("pending", None)}
    async with district.uows() as uow:
        actions = (await uow.session.scalars(
            select(AuditLog.action).where(AuditLog.subject == "directive:1")
            .order_by(AuditLog.id))).all()
    assert list(actions) == ["directive.drafted", "directive.published", "directive.received",
                             "directive.disseminated", "directive.received"]


async def test_reminders_go_to_units_that_owe_and_the_official_gets_the_overdue_list(
        district: App, channel: RecordingChannel) -> None:
    line = Timeline(district, district.clock, channel)  # type: ignore[arg-type]
    await line.say("canbo", *WRITE, "gửi")
    await line.say("demo", "DN 1", "QT 1", "150", "01/12/2026", "1", "gửi")
    await line.say("cs2", "DN 2")
    # The unit's latest monthly report says how many members it has.
    async with district.uows() as uow:
        unit = await uow.units.by_code("DEMO_CS1")
        assert unit is not None
        for period, members in (("2026-10", 150), ("2026-11", 200)):
            await uow.reports.add(
                ref=f"BC-2026-{members:06d}", unit_id=unit.id, person_id=1, identity_id=None,
                form_id="bao_cao_thang", form_version=1, period=period, category=None,
                severity=None, answers={"so_doan_vien": members}, submitted_at=START)
        await uow.commit()
    for day in range(2, 18):
        for hour in (8, 12):
            await line.at(local(2026, 12, day, hour, 0))

    def reminders(who: str) -> list[tuple[str, str]]:
        return [(f"{t:%d/%m %H:%M}", m.text.splitlines()[-2 if m.codes else -1])
                for t, w, m in line.log if w == who and m.text.startswith("⏰")]

    steps = ["07/12 08:00", "09/12 08:00", "10/12 08:00", "12/12 08:00", "14/12 08:00",
             "16/12 08:00"]
    assert [at for at, _ in reminders("cs3")] == steps
    assert [at for at, _ in reminders("cs2")] == steps
    assert reminders("demo") == []  # answered everything: never reminded
    cs3 = [m for _, w, m in line.log if w == "cs3" and m.text.startswith("⏰")]
    cs2 = [m for _, w, m in line.log if w == "cs2" and m.text.startswith("⏰")]
    assert "Còn 3 ngày đến hạn; đơn vị chưa báo \"Đã nhận\"." in cs3[0].text
    assert [o.key for o in cs3[0].codes] == ["DN 3", "QT 3"]
    assert "Đã quá hạn; đơn vị chưa báo \"Đã quán triệt\"." in cs2[-1].text
    assert [o.key for o in cs2[-1].codes] == ["QT 2"]
    [notice] = [(t, m.text) for t, w, m in line.log if w == "canbo" and "📋" in m.text]
    assert f"{notice[0]:%d/%m %H:%M}" == "12/12 08:00"
    assert "2 đơn vị chưa trả lời" in notice[1]
    assert "• CĐCS Trường THCS Bảo Nhai\n• CĐCS Hợp tác xã Chè Cốc Ly" in notice[1]
    await line.say("canbo", "/chidao 1")
    figures = channel.texts("canbo")[-1]
    assert "• Đã nhận: 2/3 đơn vị (67%)" in figures
    assert "• Đã quán triệt: 1/3 đơn vị (33%)" in figures
    assert ("• Đoàn viên được quán triệt: 150/200 (75%; số đoàn viên theo báo cáo tháng gần "
            "nhất của 1 đơn vị, kỳ 2026-11)") in figures
    assert "• Quá hạn chưa trả lời: 2 đơn vị" in figures
    assert "Quá hạn, chưa trả lời (2 đơn vị):\n• CĐCS Trường THCS Bảo Nhai" in figures


async def test_nobody_answers_or_reads_what_is_not_theirs(
        district: App, channel: RecordingChannel) -> None:
    await publish_in_chat(district)
    channel.clear()
    await say(district, "demo", "DN 2", "QT 3")  # the other units' rows
    assert channel.texts("demo") == ["Văn bản này không gửi đến đơn vị của đồng chí."] * 2
    await say(district, "kcn", "/chidao 1")  # an official of another subtree
    assert channel.texts("kcn")[-1] == "Văn bản này không gửi đến đơn vị của đồng chí."
    assert await ledger(district) == {1: ("pending", None), 2: ("pending", None),
                                      3: ("pending", None)}
    pub = district.directives
    assert pub is not None
    async with district.uows() as uow:
        kcn = await uow.units.by_code("DEMO_KCN")
        huyen = await uow.units.by_code("DEMO_HUYEN")
        cs4 = await uow.units.by_code("DEMO_CS4")
        official = (await uow.identities._find("console", "canbo"))
        other = (await uow.identities._find("console", "kcn"))
        assert kcn and huyen and cs4 and official and other
        written = Written("Tiêu đề đủ dài", "Nội dung đủ dài để gửi", date(2026, 12, 20),
                          "received")
        me = Actor(official.person_id, official.id, "test")
        with pytest.raises(NotYours):  # a unit that is not the official's
            await pub.publishing.write(uow, me, kcn.id, written, district.clock.now())
        with pytest.raises(NotYours):  # a chosen unit outside the subtree
            await pub.publishing.write(uow, me, huyen.id, replace(written, units=(cs4.id,)),
                                       district.clock.now())
        them = Actor(other.person_id, other.id, "test")
        for action in (pub.publishing.publish, pub.publishing.withdraw):
            with pytest.raises(NotYours):  # another subtree's directive
                await action(uow, them, 1, district.clock.now())
        with pytest.raises(NotYours):
            await pub.viewing.view(uow, other.person_id, 1, date(2026, 12, 1))
        with pytest.raises(Refused):  # a due date already gone
            await pub.publishing.write(uow, me, huyen.id, Written(
                "Tiêu đề đủ dài", "Nội dung đủ dài để gửi", date(2026, 12, 1), "received"),
                district.clock.now())


async def test_a_correction_is_told_and_moves_the_reminders_a_withdrawal_stops_them(
        district: App, channel: RecordingChannel) -> None:
    await publish_in_chat(district)
    pub = district.directives
    assert pub is not None
    async with district.uows() as uow:
        official = await uow.identities._find("console", "canbo")
        assert official is not None
        me = Actor(official.person_id, official.id, "web")
        await pub.publishing.correct(uow, me, 1, Written(
            "Triển khai Nghị quyết (đính chính)", "Đề nghị quán triệt trước ngày 15/12",
            date(2026, 12, 15), "disseminated"), district.clock.now())
        await uow.commit()
    await district.delivery.drain()
    corrected = [t for t in channel.texts("cs3") if t.startswith("✏️")]
    assert len(corrected) == 1 and "(bản 2)" in corrected[0] and "15/12/2026" in corrected[0]
    async with district.uows() as uow:
        fires = {(f.target.split(":")[2], f.status) for f in (await uow.session.scalars(
            select(Fire).where(Fire.kind == "directive.step"))).all()}
    assert ("2026-12-10", "cancelled") in fires and ("2026-12-15", "pending") in fires
    assert not {s for d, s in fires if d == "2026-12-10"} - {"cancelled"}
    async with district.uows() as uow:
        await pub.publishing.withdraw(uow, me, 1, district.clock.now())
        await uow.commit()
    await district.delivery.drain()
    assert channel.texts("cs3")[-1].startswith("🚫 Văn bản chỉ đạo số 1")
    channel.clear()
    district.clock.set(local(2026, 12, 14, 8, 0))  # type: ignore[attr-defined]
    await district.fires.run_once()
    await district.delivery.drain()
    assert channel.sent == []  # no reminder after the withdrawal
    await say(district, "cs3", "DN 3")
    assert channel.texts("cs3") == ["Văn bản chỉ đạo số 1 đã được thu hồi, không cần trả lời."]


async def test_the_chat_form_refuses_a_due_date_that_is_not_ahead(
        district: App, channel: RecordingChannel) -> None:
    await say(district, "canbo", *WRITE[:3], "01/12/2026")
    assert channel.texts("canbo")[-1].startswith("Ngày phải từ 02/12/2026 trở đi.")


async def test_the_figures_reach_thongke_the_digest_and_the_export(
        district: App, channel: RecordingChannel) -> None:
    await publish_in_chat(district)
    await say(district, "demo", "DN 1", "QT 1", "1.500", "01/12/2026", "2", "gửi")
    await say(district, "cs2", "DN 2")
    channel.clear()
    await say(district, "canbo", "/thongke")
    stats = channel.texts("canbo")[-1]
    assert "📄 Chỉ đạo số 1 «Triển khai Nghị quyết Đại hội Công đoàn tỉnh» (hạn 10/12/2026):" \
        in stats
    assert "• Đã nhận: 2/3 đơn vị (67%)" in stats
    assert "• Đoàn viên được quán triệt: 1.500/?" in stats
    digest = district.digest
    assert digest is not None
    async with district.uows() as uow:
        huyen = await uow.units.by_code("DEMO_HUYEN")
        assert huyen is not None
        now = district.clock.now()
        figures = await gather(uow, huyen, week_bounds(date(2026, 12, 7), digest.tz, 8), now,
                               date(2026, 12, 1), 48, district.policy.directives)
    text = digest.text("vi", figures)
    assert text.count("📄 Chỉ đạo số 1") == 1 and "• Đã quán triệt: 1/3 đơn vị (33%)" in text
    await say(district, "canbo", "/xuat 2026-12")
    await district.fires.run_once()
    await district.delivery.drain()
    _, book = workbook_sent(channel, "canbo")
    sheet = list(book["Chỉ đạo"].iter_rows(values_only=True))
    assert sheet[0][:6] == ("Số chỉ đạo", "Tiêu đề", "Hạn trả lời", "Mã đơn vị", "Đơn vị",
                            "Trả lời")
    assert [r[3:6] for r in sheet[1:]] == [
        ("DEMO_CS1", "CĐCS Công ty TNHH May Bắc Hà", "đã quán triệt"),
        ("DEMO_CS2", "CĐCS Trường THCS Bảo Nhai", "đã nhận"),
        ("DEMO_CS3", "CĐCS Hợp tác xã Chè Cốc Ly", "chưa trả lời")]
    first = sheet[1]
    assert first[0] == 1 and first[2] == datetime(2026, 12, 10)  # a date cell
    assert isinstance(first[6], datetime) and first[8] == 1500 and first[10] == "Nhóm Zalo"


async def test_a_title_that_looks_like_a_formula_stays_text_in_the_export(
        district: App, channel: RecordingChannel) -> None:
    await say(district, "canbo", "/chidao", "=HYPERLINK(\"http://x\",\"bấm\")",
              *WRITE[2:], "gửi", "/xuat 2026-12")
    await district.fires.run_once()
    await district.delivery.drain()
    _, book = workbook_sent(channel, "canbo")
    cell = book["Chỉ đạo"]["B2"]
    assert cell.value == "=HYPERLINK(\"http://x\",\"bấm\")" and cell.data_type == "s"
