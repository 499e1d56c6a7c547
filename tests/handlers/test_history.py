"""/lichsu for everyone who may read reports, on both databases: a chair's own reports with
their hot spots' state; an official's subtree's latest reports, and one report by its number,
its words as privacy by level allows; a number the person may not read is not found."""

from __future__ import annotations

from bot.app import App
from tests.conftest import RecordingChannel
from tests.helpers import NGUNG_VIEC, invite, say, seed


async def test_officials_read_their_subtree_and_one_report_by_number(
        app: App, channel: RecordingChannel) -> None:
    await seed(app)
    for who, unit, role in (("tinh", "DEMO_TINH", "official"), ("kcn", "DEMO_KCN", "official"),
                            ("cs2", "DEMO_CS2", "chair")):
        await say(app, who, await invite(app, unit, role=role))
    await say(app, "demo", *NGUNG_VIEC, "gui")
    channel.clear()
    await say(app, "demo", "/lichsu")
    assert channel.texts("demo")[-1].split("\n")[:2] == [
        "1 báo cáo gần nhất:",
        "• BC-2026-000001 · 17/11/2026 09:00 · Ngừng việc tập thể, đình công · đã gửi · "
        "điểm nóng 1: Chưa tiếp nhận"]
    await say(app, "canbo", "/lichsu")
    assert channel.texts("canbo")[-1].split("\n")[:2] == [
        "1 báo cáo gần nhất của các đơn vị đồng chí phụ trách:",
        "• BC-2026-000001 · CĐCS Công ty TNHH May Bắc Hà · 17/11/2026 09:00 · Ngừng việc tập "
        "thể, đình công · đã gửi · điểm nóng 1: Chưa tiếp nhận"]
    for typed in ("/lichsu BC-2026-000001", "lichsu 1"):
        await say(app, "canbo", typed)
        card = channel.texts("canbo")[-1]
        assert card.startswith("BC-2026-000001 · Báo cáo nhanh · CĐCS Công ty TNHH May Bắc Hà\n"
                               "Gửi lúc 17/11/2026 09:00 · đã gửi · điểm nóng 1: Chưa tiếp nhận")
        assert "• Sự việc: Công nhân ngừng việc vì bị nợ lương hai tháng" in card
    await say(app, "tinh", "/lichsu 1")  # the province: above the direct upper level
    card = channel.texts("tinh")[-1]
    assert "• Số người ngừng việc: 120" in card
    assert "• Sự việc: (chỉ cấp trên trực tiếp được xem)" in card
    assert "nợ lương" not in card
    for who in ("kcn", "cs2"):  # another subtree, another unit
        await say(app, who, "/lichsu 1")
        assert channel.texts(who)[-1] == ("Không tìm thấy báo cáo số 1 trong các báo cáo đồng "
                                          "chí được xem.")
    await say(app, "canbo", "/lichsu hôm qua")
    assert channel.texts("canbo")[-1].startswith("Số báo cáo chưa đúng.")


async def test_diemnong_with_a_number_shows_the_card_its_log_and_its_actions(
        app: App, channel: RecordingChannel) -> None:
    await seed(app)
    await say(app, "kcn", await invite(app, "DEMO_KCN", role="official"))
    await say(app, "demo", *NGUNG_VIEC, "gui")
    await say(app, "canbo", "TN 1", "GC 1: Đã gọi giám đốc công ty")
    channel.clear()
    await say(app, "canbo", "/diemnong 1")
    [shown] = [m for a, m in channel.sent if a == "canbo"]
    lines = shown.text.split("\n")
    assert lines[:3] == ["🔴 KHẨN CẤP – Điểm nóng #1", "Đơn vị: CĐCS Công ty TNHH May Bắc Hà",
                         "Báo cáo BC-2026-000001 lúc 09:00 17/11/2026"]
    assert "Tình trạng: canbo đã tiếp nhận" in lines
    assert "• Sự việc: Công nhân ngừng việc vì bị nợ lương hai tháng" in lines
    assert "Diễn biến:" in lines
    log = lines[lines.index("Diễn biến:") + 1:]
    assert [line.split(" ", 3)[3] for line in log] == [
        "mở điểm nóng – demo", "báo cấp trên", "tiếp nhận – canbo",
        "ghi chú – canbo: Đã gọi giám đốc công ty"]
    assert [o.key for o in shown.codes] == ["GC 1", "GQ 1"]
    await say(app, "kcn", "/diemnong 1")  # another subtree
    assert channel.texts("kcn")[-1] == ("Điểm nóng #1 không thuộc đơn vị anh/chị phụ trách. "
                                        "Không có gì thay đổi.")


async def test_a_chair_adds_to_their_open_hot_spot_and_the_officials_holding_it_hear(
        app: App, channel: RecordingChannel) -> None:
    await seed(app)
    await say(app, "cs2", await invite(app, "DEMO_CS2"))
    await say(app, "demo", *NGUNG_VIEC, "gui")
    channel.clear()
    await say(app, "demo", "/lichsu")
    assert channel.texts("demo")[-1].endswith(
        "Gõ «BS 1: nội dung» để gửi thêm thông tin về điểm nóng cho cấp trên.")
    await say(app, "demo", "BS 1: Công ty hứa trả lương ngày 20")
    assert channel.texts("demo")[-1] == ("✅ Đã gửi thông tin bổ sung về điểm nóng #1 đến 1 "
                                         "cán bộ đang theo dõi.")
    assert channel.texts("canbo")[-1] == (
        "📝 Cơ sở bổ sung về điểm nóng #1 (CĐCS Công ty TNHH May Bắc Hà, BC-2026-000001): "
        "Công ty hứa trả lương ngày 20")
    await say(app, "cs2", "BS 1: không phải của tôi")
    assert channel.texts("cs2")[-1] == "Điểm nóng #1 không thuộc đơn vị của đồng chí."
    await say(app, "demo", "bs 1")
    assert channel.texts("demo")[-1].startswith("Gõ «BS 1: nội dung»")
    await say(app, "canbo", "/diemnong 1")
    assert "cơ sở cập nhật – demo: Công ty hứa trả lương ngày 20" in channel.texts("canbo")[-1]
    await say(app, "canbo", "GQ 1: Đã trả đủ lương")
    await say(app, "demo", "BS 1: còn thiếu tiền thưởng")
    assert channel.texts("demo")[-1].startswith("Điểm nóng #1 đã được giải quyết.")


async def test_inside_a_report_a_sentence_like_an_update_code_is_an_answer(
        app: App, channel: RecordingChannel) -> None:
    await seed(app)
    await say(app, "demo", *NGUNG_VIEC[:5])  # at the description
    channel.clear()
    await say(app, "demo", "Bổ sung 5 công nhân bị nợ lương")
    assert "Tình trạng xử lý tại cơ sở?" in channel.texts("demo")[-1]
