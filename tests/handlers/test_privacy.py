"""a. Privacy by level, path by path (SQLite and PostgreSQL): a report's free text and the
officials' notes reach the reporting unit's direct upper level (the district, "canbo") and
the unit itself (the chair, "demo"), never the level above it (the province, "tinh"), on
every path: alerts, escalations, unresolved reminders, resolved and reopened notices,
refusals that quote a resolution, chat exports with and without a unit, and the command
line's export (withheld unless asked for; the subprocess test is tests/cli/test_cli.py).
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from openpyxl import load_workbook

from bot.app import App
from bot.clock import ManualClock
from handlers.exports.period import parse_period
from handlers.people.privacy import EVERYONE, NOBODY, Reader, may_read
from storage.models import OrgUnit
from tests.conftest import RecordingChannel
from tests.handlers.test_incidents import EMERGENCY, local, officials, press, tick
from tests.helpers import say

DESCRIPTION = "Công nhân ngừng việc vì bị nợ lương hai tháng"
PROPOSAL = "Đề nghị LĐLĐ huyện vào cuộc"
RESOLUTION = "Chủ DN đã trả đủ lương cho anh Nguyễn Văn Tâm và 119 người"
REASON = "Chị Lò Thị Hoa báo chủ DN chưa trả phần tăng ca"
HIDDEN = "(chỉ cấp trên trực tiếp được xem)"
WORDS = (DESCRIPTION, PROPOSAL, RESOLUTION, REASON)


def received(channel: RecordingChannel, who: str) -> str:
    return "\n".join(m.text + "\n" + (m.code_hint or "") for a, m in channel.sent if a == who)


def words_in(text: str) -> set[str]:
    return {w for w in WORDS if w in text}


def cells(data: bytes, sheet: str) -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(data))[sheet].iter_rows(values_only=True))


def export_sent(channel: RecordingChannel, who: str) -> bytes:
    [message] = [m for a, m in channel.sent if a == who and m.file is not None]
    assert message.file is not None and message.file.data is not None
    return message.file.data


async def test_free_text_reaches_the_direct_upper_level_and_no_one_above_on_every_path(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    await officials(app)
    clock.set(local(2026, 11, 18, 9, 0))
    channel.clear()

    # 1. The first alert: the district reads the words.
    await say(app, "demo", *EMERGENCY)
    assert words_in(received(channel, "canbo")) == {DESCRIPTION, PROPOSAL}
    assert received(channel, "tinh") == ""
    # 2. Unacknowledged for 30 minutes: the province is brought in, without the words.
    channel.clear()
    clock.advance(timedelta(minutes=30))
    await tick(app)
    province = received(channel, "tinh")
    assert "Điểm nóng #1" in province and HIDDEN in province
    assert words_in(province) == set()
    assert words_in(received(channel, "canbo")) == {DESCRIPTION, PROPOSAL}  # the repeat
    # 3. Acknowledged, unresolved for 24 hours: the reminder to the district has the words,
    #    the one to the level above does not.
    await press(app, "canbo", "TN 1")
    channel.clear()
    clock.advance(timedelta(hours=24, minutes=1))
    await tick(app)
    assert words_in(received(channel, "canbo")) == {DESCRIPTION, PROPOSAL}
    province = received(channel, "tinh")
    assert "Đã tiếp nhận" in province and words_in(province) == set() and HIDDEN in province
    # 4. Resolved with a note naming a worker: the chair and the district read it; the
    #    province is told it was resolved, and that the note is withheld.
    channel.clear()
    await press(app, "canbo", f"GQ 1 {RESOLUTION}")
    assert RESOLUTION in received(channel, "demo")
    province = received(channel, "tinh")
    assert "đã được" in province and "giải quyết" in province
    assert words_in(province) == set() and HIDDEN in province
    # 5. A refusal that quotes the resolution: the province's own press reads it withheld,
    #    the district's reads it.
    channel.clear()
    await press(app, "tinh", "GQ 1 xong")
    assert "đã được" in received(channel, "tinh") and HIDDEN in received(channel, "tinh")
    assert words_in(received(channel, "tinh")) == set()
    await press(app, "canbo", "GQ 1 xong")
    assert RESOLUTION in received(channel, "canbo")
    # 6. Reopened with a reason: the chair reads it, the province does not.
    channel.clear()
    await press(app, "canbo", f"MO 1 {REASON}")
    assert REASON in received(channel, "demo")
    province = received(channel, "tinh")
    assert "mở lại" in province and words_in(province) == set() and HIDDEN in province


async def test_chat_exports_read_as_the_person_asking_with_or_without_a_unit(
    app: App, clock: ManualClock, channel: RecordingChannel
) -> None:
    await officials(app)
    clock.set(local(2026, 11, 18, 9, 0))
    await say(app, "demo", *EMERGENCY)
    await press(app, "canbo", f"GQ 1 {RESOLUTION}")
    expected = {"canbo": DESCRIPTION, "tinh": HIDDEN}
    for who, command in [("canbo", "/xuat 2026-11"), ("canbo", "/xuat 2026-11 DEMO_HUYEN"),
                         ("tinh", "/xuat 2026-11"),
                         # The hole: the province naming the district's code read the words.
                         ("tinh", "/xuat 2026-11 demo_huyen")]:
        channel.clear()
        clock.advance(timedelta(minutes=1))  # one export per person and minute
        await say(app, who, command)
        await tick(app)
        data = export_sent(channel, who)
        rapid = cells(data, "Báo cáo nhanh")
        assert [(r[1], r[11]) for r in rapid[1:]] == [("DEMO_CS1", expected[who])], command
        assert rapid[1][13] == (PROPOSAL if who == "canbo" else HIDDEN)
        resolution = cells(data, "Điểm nóng")[1][11]
        assert resolution == (RESOLUTION if who == "canbo" else HIDDEN), command


async def test_the_command_lines_export_withholds_unless_asked_and_the_rule_is_by_reader(
    app: App, clock: ManualClock
) -> None:
    await officials(app)
    clock.set(local(2026, 11, 18, 9, 0))
    await say(app, "demo", *EMERGENCY)
    period = parse_period("2026-11")
    assert period is not None and app.workbook is not None
    async with app.uows() as uow:
        province = await uow.units.by_code("DEMO_TINH")
        district = await uow.units.by_code("DEMO_HUYEN")
        cs1 = await uow.units.by_code("DEMO_CS1")
        assert province and district and cs1
        for reader, shown in ((NOBODY, HIDDEN), (EVERYONE, DESCRIPTION)):
            out = io.BytesIO()
            await app.workbook.write(uow, district, period, out, reader)
            assert cells(out.getvalue(), "Báo cáo nhanh")[1][11] == shown
    # The rule itself: the reader's roles decide, never the unit being looked at.
    district_official = Reader.of_roles([("official", district.id)])
    province_official = Reader.of_roles([("official", province.id)])
    both = Reader.of_roles([("official", province.id), ("official", district.id)])
    chair = Reader.of_roles([("chair", cs1.id)])
    other_chair = Reader.of_roles([("chair", cs1.id + 1)])
    assert [may_read(r, cs1) for r in (district_official, province_official, both, chair,
                                       other_chair, NOBODY, EVERYONE)] == [
        True, False, True, True, False, False, True]
    detached = OrgUnit(id=cs1.id, parent_id=None)
    assert not may_read(province_official, detached)
