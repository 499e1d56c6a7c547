"""a. The weekly digest over a seeded month, on SQLite and PostgreSQL (tests/handlers/week.py):
every figure, the chart, only the official's subtree, once a week across a restart."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from bot.app import App
from bot.channels.base import OutboundMessage
from bot.clock import ManualClock
from storage.models import Fire, OutboxMessage
from tests.conftest import RecordingChannel, make_app
from tests.handlers.week import at, local, seeded_month

DISTRICT = """📊 Bản tin tuần 09/11 – 15/11/2026
Liên đoàn Lao động huyện Bắc Hà (demo)
📝 Báo cáo mới: 3 (tuần trước: 2)
  • Lôi kéo, kích động, an ninh trật tự: 1 (trước: 1)
  • Tiền thưởng, phúc lợi: 1 (trước: 1)
  • Ngừng việc tập thể, đình công: 1 (trước: 0)
🔥 Điểm nóng: mới 2 · đã tiếp nhận 2 · đã giải quyết 1
⏱ Thời gian trung vị: tiếp nhận 1 giờ 15 phút · giải quyết 1 ngày 0 giờ
⚠️ Điểm nóng chưa giải quyết quá 48 giờ: 2 (chưa ai tiếp nhận: 1)
⏰ Đơn vị quá hạn báo cáo: 1 (xem /quahan)
✅ Báo cáo tháng 10/2026: nộp đúng hạn 67% (2/3 đơn vị)
👥 CĐCS tham gia bot: 2/3 (67%), chưa đạt mục tiêu trên 80%"""

INDUSTRIAL_ZONE = """📊 Bản tin tuần 09/11 – 15/11/2026
Công đoàn các Khu công nghiệp (demo)
📝 Báo cáo mới: 1 (tuần trước: 0)
  • Tiền thưởng, phúc lợi: 1 (trước: 0)
🔥 Điểm nóng: mới 0 · đã tiếp nhận 0 · đã giải quyết 0
⏱ Thời gian trung vị: tiếp nhận chưa có · giải quyết chưa có
⚠️ Điểm nóng chưa giải quyết quá 48 giờ: 0 (chưa ai tiếp nhận: 0)
⏰ Đơn vị quá hạn báo cáo: 3 (xem /quahan)
✅ Báo cáo tháng 10/2026: nộp đúng hạn 0% (0/3 đơn vị)
👥 CĐCS tham gia bot: 1/3 (33%), chưa đạt mục tiêu trên 80%"""

PROVINCE = """📊 Bản tin tuần 09/11 – 15/11/2026
Liên đoàn Lao động tỉnh Demo
📝 Báo cáo mới: 4 (tuần trước: 2)
  • Tiền thưởng, phúc lợi: 2 (trước: 1)
  • Lôi kéo, kích động, an ninh trật tự: 1 (trước: 1)
  • Ngừng việc tập thể, đình công: 1 (trước: 0)
🔥 Điểm nóng: mới 2 · đã tiếp nhận 2 · đã giải quyết 1
⏱ Thời gian trung vị: tiếp nhận 1 giờ 15 phút · giải quyết 1 ngày 0 giờ
⚠️ Điểm nóng chưa giải quyết quá 48 giờ: 2 (chưa ai tiếp nhận: 1)
⏰ Đơn vị quá hạn báo cáo: 4 (xem /quahan)
✅ Báo cáo tháng 10/2026: nộp đúng hạn 33% (2/6 đơn vị)
👥 CĐCS tham gia bot: 3/6 (50%), chưa đạt mục tiêu trên 80%"""

QUIET = """📊 Bản tin tuần 16/11 – 22/11/2026
Liên đoàn Lao động huyện Bắc Hà (demo)
Tuần qua không có báo cáo mới.
⚠️ Điểm nóng chưa giải quyết quá 48 giờ: 2 (chưa ai tiếp nhận: 1)
⏰ Đơn vị quá hạn báo cáo: 1 (xem /quahan)
👥 CĐCS tham gia bot: 2/3 (67%), chưa đạt mục tiêu trên 80%"""


def digests(channel: RecordingChannel, who: str, week: str) -> list[OutboundMessage]:
    return [m for a, m in channel.sent
            if a == who and m.text.startswith(f"📊 Bản tin tuần {week}")]


async def digest_rows(app: App) -> list[str]:
    async with app.uows() as uow:
        keys = await uow.session.scalars(
            select(OutboxMessage.dedupe_key).where(OutboxMessage.kind == "digest")
            .order_by(OutboxMessage.dedupe_key))
        return [k or "" for k in keys.all()]


async def test_the_digest_gives_each_official_their_subtrees_week_with_a_chart_once(
    app: App, clock: ManualClock, channel: RecordingChannel, db_url: str
) -> None:
    await seeded_month(app, clock)
    await at(app, clock, local(2026, 11, 16, 7, 59))
    assert digests(channel, "canbo", "09/11") == []
    await at(app, clock, local(2026, 11, 16, 8, 0))

    [district] = digests(channel, "canbo", "09/11")
    [zone] = digests(channel, "kcn", "09/11")
    [province] = digests(channel, "tinh", "09/11")
    assert district.text == DISTRICT
    # The industrial zone's official sees none of the district's reports or incidents.
    assert zone.text == INDUSTRIAL_ZONE
    assert province.text == PROVINCE
    # Aggregates only: no report's own words reach any digest.
    assert not any("kích động công nhân" in m.text or "nợ lương" in m.text
                   for m in (district, zone, province))
    # The chart: a real PNG, drawn for this week.
    assert district.file is not None and district.file.kind == "photo"
    assert district.file.name == "ban-tin-2026-11-16.png"
    assert district.file.data is not None and district.file.data.startswith(b"\x89PNG\r\n")
    image = Image.open(io.BytesIO(district.file.data))
    image.verify()
    assert image.format == "PNG" and image.size == (800, 450)
    assert zone.file is not None and zone.file.data != district.file.data

    # A restart on the same database, the same morning: nothing is sent again.
    before = await digest_rows(app)
    assert sum(k.startswith("digest:2026-11-16:") for k in before) == 3
    await app.close()
    channel.clear()
    again = make_app(db_url, clock, channel)
    try:
        await again.start_timers()
        await at(again, clock, local(2026, 11, 16, 8, 30))
        await at(again, clock, local(2026, 11, 16, 12, 0))
        assert channel.sent == []
        assert await digest_rows(again) == before
        async with again.uows() as uow:
            pending = (await uow.session.scalars(
                select(Fire.target).where(Fire.kind == "digest.week",
                                          Fire.status == "pending"))).all()
        assert pending == ["digest:2026-11-23"]

        # The next Monday: a quiet week gets the short digest, with no chart.
        await at(again, clock, local(2026, 11, 23, 8, 0))
        [quiet] = digests(channel, "canbo", "16/11")
        assert quiet.text == QUIET
        assert quiet.file is None
        assert len(digests(channel, "kcn", "16/11")) == 1
        assert len(digests(channel, "tinh", "16/11")) == 1
        assert len(await digest_rows(again)) == len(before) + 3
    finally:
        await again.close()


def test_the_digest_day_and_time_come_from_the_policy() -> None:
    from datetime import time
    from zoneinfo import ZoneInfo

    from bot.policy import DigestRule
    from handlers.figures.digest import next_run, week_bounds

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    friday = DigestRule(weekday=4, at=time(16, 30), chart_weeks=4, open_incident_hours=24,
                        enrolment_target=90)
    # From a Wednesday: this Friday; at the very minute: now; a minute later: next week.
    assert next_run(friday, tz, local(2026, 11, 18, 9, 0)) == local(2026, 11, 20, 16, 30)
    assert next_run(friday, tz, local(2026, 11, 20, 16, 30)) == local(2026, 11, 20, 16, 30)
    assert next_run(friday, tz, local(2026, 11, 20, 16, 31)) == local(2026, 11, 27, 16, 30)
    # Four weekly windows ending at the digest day's local midnight.
    bounds = week_bounds(local(2026, 11, 20, 16, 30).date(), tz, 4)
    assert [f"{b.astimezone(tz):%d/%m %H:%M}" for b in bounds] == [
        "23/10 00:00", "30/10 00:00", "06/11 00:00", "13/11 00:00", "20/11 00:00"]
