"""The chat as a new user meets it (DOMAIN.md, "Wording for people"), on both databases, with
exact texts: the card labels answers with short nouns and writes numbers the Vietnamese way;
a strike's head count is asked once; periodic reports check one answer against another and
ask again, saying why; "xong" on the card does not send; what the bot does not understand it
says first; a command mid-report answers, then asks the pending question again; a chair who
re-sends their used invite is told they are enrolled."""

from __future__ import annotations

from bot.app import App
from tests.conftest import RecordingChannel
from tests.helpers import NGUNG_VIEC, invite, reports, say

CARD = ("Kiểm tra lại Báo cáo nhanh:\n"
        "1) Lĩnh vực: Ngừng việc tập thể, đình công\n"
        "2) Số người ngừng việc: 120\n"
        "3) Mức độ: Khẩn cấp\n"
        "4) Sự việc: Công nhân ngừng việc vì bị nợ lương hai tháng\n"
        "5) Tình trạng xử lý: Cần cấp trên hỗ trợ\n"
        "6) Đề xuất, kiến nghị: Đề nghị LĐLĐ huyện vào cuộc\n"
        "7) Ảnh, tài liệu: —")


async def periods(app: App) -> None:
    async with app.uows() as uow:
        await app.calendar.plan(uow, app.clock.now())  # type: ignore[union-attr]
        await uow.commit()


async def test_a_strike_is_asked_once_and_its_card_reads_in_short_nouns(
        app: App, channel: RecordingChannel) -> None:
    from tests.helpers import seed

    await seed(app)
    await say(app, "demo", *NGUNG_VIEC[:4])  # area, head count, severity
    assert channel.texts("demo")[-1].startswith("Câu 4. Mô tả ngắn sự việc")
    channel.clear()
    await say(app, "demo", *NGUNG_VIEC[4:])
    card = channel.texts("demo")[-1]
    assert card.startswith(CARD), card
    channel.clear()
    await say(app, "demo", "xong")  # "done" on the card: not "send"
    assert channel.texts("demo")[-1].startswith(
        "Đã trả lời xong. Kiểm tra lại phiếu trên, rồi gõ «gửi» hoặc 1 để gửi, 2 để sửa, "
        "3 để huỷ.")
    assert await reports(app) == []
    await say(app, "demo", "gửi")
    [report] = await reports(app)
    assert "so_nguoi" not in report.answers and report.answers["so_nguoi_ngung_viec"] == 120


async def test_periodic_answers_are_checked_against_each_other_and_numbers_read_vietnamese(
        app: App, channel: RecordingChannel) -> None:
    from tests.helpers import seed

    await seed(app)
    await periods(app)
    await say(app, "demo", "/dinhky", "1", "1500")
    channel.clear()
    await say(app, "demo", "1600")  # more members than workers
    assert channel.texts("demo")[-1].startswith(
        "Số này (1.600) lớn hơn «Tổng số lao động» (1.500). Đồng chí kiểm tra và nhập lại.\n"
        "Câu 2. Số đoàn viên?")
    await say(app, "demo", "1450", "2", "1", "1", "3")
    channel.clear()
    await say(app, "demo", "5")  # more cases resolved than arisen
    assert channel.texts("demo")[-1].startswith(
        "Số này (5) lớn hơn «Số vụ việc phát sinh» (3). Đồng chí kiểm tra và nhập lại.\n"
        "Câu 7. Số vụ đã giải quyết?")
    channel.clear()
    await say(app, "demo", "2", "0", "1", "40", "co", "bo qua")
    card = channel.texts("demo")[-1]
    assert "1) Tổng số lao động: 1.500\n2) Số đoàn viên: 1.450\n" in card, card
    assert "6) Số vụ việc phát sinh: 3\n7) Số vụ đã giải quyết: 2\n" in card
    await say(app, "demo", "1")
    [report] = await reports(app)
    assert (report.answers["so_doan_vien"], report.answers["so_vu_da_giai_quyet"]) == (1450, 2)


async def test_what_the_bot_does_not_understand_it_says_first_and_a_command_resumes(
        app: App, channel: RecordingChannel) -> None:
    from tests.helpers import seed

    await seed(app)
    await say(app, "demo", "xin chao")
    assert channel.texts("demo") == [
        "Bot chưa hiểu tin nhắn này. Gõ /baocao để gửi báo cáo nhanh, /trogiup để xem "
        "hướng dẫn."]
    channel.clear()
    await say(app, "demo", "/abcxyz")
    assert channel.texts("demo") == ["Bot chưa hiểu lệnh này. Gõ /trogiup để xem các lệnh."]
    await say(app, "demo", "/baocao", "7")
    channel.clear()
    await say(app, "demo", "/trogiup")  # a command mid-report: answered, then the question
    [said] = channel.texts("demo")  # one message: the help, then the question again
    assert said.startswith("Các lệnh:\n/baocao – gửi báo cáo nhanh khi có sự việc\n"), said
    assert said.endswith("\n\nCâu 2. Bao nhiêu người ngừng việc?\n"
                         "Nhập một số từ 1 đến 100.000."), said
    channel.clear()
    await say(app, "demo", *NGUNG_VIEC[2:])
    await say(app, "demo", "abc")  # on the card
    assert channel.texts("demo")[-1].startswith(
        "Bot chưa hiểu. Gõ 1 để gửi, 2 để sửa, 3 để huỷ.")


async def test_a_chair_who_resends_their_used_invite_is_told_they_are_enrolled(
        app: App, channel: RecordingChannel) -> None:
    from tests.helpers import seed

    await seed(app)
    code = await invite(app, "DEMO_CS2")
    await say(app, "moi", code)
    assert channel.texts("moi")[0].startswith(
        "Chào mừng! Đồng chí đã tham gia CĐCS Trường THCS Bảo Nhai với vai trò chủ tịch CĐCS.")
    channel.clear()
    await say(app, "moi", code)
    assert channel.texts("moi") == [
        "Đồng chí đã là chủ tịch CĐCS của CĐCS Trường THCS Bảo Nhai rồi."]


async def test_figures_write_large_counts_the_vietnamese_way(app: App) -> None:
    from datetime import UTC, datetime

    from handlers.figures.gather import Figures
    from handlers.figures.text import grouped
    from storage.models import OrgUnit
    from storage.repositories.stats import IncidentCounts

    assert (grouped(19250, "vi"), grouped(19250, "en"), grouped(7, "vi")) == (
        "19.250", "19,250", "7")
    now = datetime(2026, 11, 30, tzinfo=UTC)
    figures = Figures(
        unit=OrgUnit(id=1, code="TINH", name="Tỉnh", path="/1/"), bounds=(now, now, now),
        reports={"tien_luong": [1200, 19250]}, incidents=IncidentCounts(1500, 0, 0, 0, 0),
        ack_median=None, resolve_median=None, overdue=0, compliance=(), enrolled=1200,
        grassroots=1500)
    assert app.digest is not None
    lines = app.digest.text("vi", figures).split("\n")
    assert "📝 Báo cáo mới: 19.250 (tuần trước: 1.200)" in lines, lines
    assert any("mới 1.500" in line for line in lines), lines
    assert any("1.200/1.500" in line for line in lines), lines
