"""Hot spots end to end: a chair files an emergency, an official acknowledges and resolves it,
on Telegram (buttons, through the Bot API peer) and on Zalo (typed reply codes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.app import App
from storage.models import Incident, IncidentEvent
from tests.e2e.conftest import running
from tests.e2e.peer import Peer, TgUser, button, eventually
from tests.e2e.test_zalo import Chat, serving, zalo_app
from tests.e2e.zalo_peer import ZaloPeer, ZaloUser
from tests.helpers import invite, seed

CHAIR = TgUser(6001, "Lò Văn An")
OFFICIAL = TgUser(6002, "Hoàng Thị Hoa")
TYPED_REPORT = ["/baocao", "ngung viec", "120", "khan cap",
                "Cong nhan ngung viec vi bi no luong hai thang", "4",
                "De nghi LDLD huyen vao cuoc", "xong"]

REPLIES = ["Câu 1.", "Bao nhiêu người", "Mức độ", "Mô tả ngắn",
           "Tình trạng xử lý", "Đề xuất", "Ảnh, tài liệu", "Kiểm tra lại Báo cáo nhanh"]


def has(part: str) -> Any:
    return lambda ms: any(part in m["text"] for m in ms)


def find(messages: list[dict[str, Any]], part: str) -> dict[str, Any]:
    return next(m for m in messages if part in m["text"])


async def incident_state(app: App) -> tuple[str, str | None, list[str]]:
    async with app.uows() as uow:
        incident = await uow.session.scalar(select(Incident))
        assert incident is not None
        kinds = list((await uow.session.scalars(
            select(IncidentEvent.kind).order_by(IncidentEvent.id))).all())
        return incident.state, incident.resolution, kinds


async def test_an_official_acknowledges_and_resolves_with_telegram_buttons(
    tg_app: App, peer: Peer
) -> None:
    await seed(tg_app)
    chair_code = await invite(tg_app, "DEMO_CS1")
    official_code = await invite(tg_app, "DEMO_HUYEN", role="official")
    async with running(tg_app):
        await peer.text(OFFICIAL, f"/start {official_code}")
        await peer.wait_chat(OFFICIAL.id, has("/trogiup"))
        await peer.text(CHAIR, f"/start {chair_code}")
        await peer.wait_chat(CHAIR.id, has("/trogiup"))
        for line, expect in zip(TYPED_REPORT, REPLIES, strict=True):
            await peer.text(CHAIR, line)  # one at a time, as a person waits for each question
            await peer.wait_chat(CHAIR.id, has(expect))
        card = (await peer.chat(CHAIR.id))[-1]
        await peer.press(CHAIR, card, button(card, "Gửi"))
        await peer.wait_chat(CHAIR.id, has("Cán bộ cấp trên đã được báo ngay"))

        # The alert: the report card and three buttons.
        messages = await peer.wait_chat(OFFICIAL.id, has("Điểm nóng #1"))
        alert = find(messages, "Điểm nóng #1")
        assert "🔴 KHẨN CẤP – Điểm nóng #1" in alert["text"]
        assert "Cong nhan ngung viec vi bi no luong hai thang" in alert["text"]
        labels = [b["text"] for row in alert["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["Tiếp nhận", "Ghi chú", "Đã giải quyết"]

        await peer.press(OFFICIAL, alert, button(alert, "Tiếp nhận"))
        await peer.wait_chat(CHAIR.id, has("đã được Hoàng Thị Hoa – Liên đoàn Lao động huyện "
                                           "Bắc Hà (demo) tiếp nhận"))
        messages = await peer.wait_chat(OFFICIAL.id, has("Đồng chí đã tiếp nhận điểm nóng #1"))
        done = find(messages, "Đồng chí đã tiếp nhận")
        assert [b["text"] for row in done["reply_markup"]["inline_keyboard"] for b in row] == \
            ["Ghi chú", "Đã giải quyết"]
        # The pressed alert now shows what was done, without buttons.
        alert_now = next(m for m in await peer.chat(OFFICIAL.id)
                         if m["message_id"] == alert["message_id"])
        assert alert_now["text"].endswith("✅ Tiếp nhận") and alert_now["reply_markup"] is None

        await peer.press(OFFICIAL, done, button(done, "Đã giải quyết"))
        await peer.wait_chat(OFFICIAL.id, has("Nhập kết quả giải quyết điểm nóng #1"))
        await peer.text(OFFICIAL, "Da lam viec voi cong ty, tra du luong thang 10")
        await peer.wait_chat(CHAIR.id, has("Kết quả: Da lam viec voi cong ty, tra du luong"))
        await peer.wait_chat(OFFICIAL.id, has("Đã đóng điểm nóng #1"))
    state = await eventually(lambda: incident_state(tg_app), lambda s: s[0] == "resolved",
                             "the incident resolved")
    assert state == ("resolved", "Da lam viec voi cong ty, tra du luong thang 10",
                     ["opened", "alerted", "acknowledged", "resolved"])


async def test_an_official_acknowledges_and_resolves_with_zalo_reply_codes(
    db_url: str, zalo_peer: ZaloPeer, tmp_path: Path
) -> None:
    token = zalo_peer.add_bot()
    app = zalo_app(db_url, zalo_peer, token, tmp_path)
    await seed(app)
    chair = Chat(zalo_peer, token, ZaloUser("c0ffee00c0ffee00c0ff", "Lò Văn Minh"))
    official = Chat(zalo_peer, token, ZaloUser("0ff1c1a10ff1c1a10ff1", "Vàng Thị Mai"))
    try:
        async with serving(app):
            await official.says(await invite(app, "DEMO_HUYEN", role="official"), "/trogiup")
            await chair.says(await invite(app, "DEMO_CS1"), "/trogiup")
            before = len(official.received())
            for line, expect in zip(TYPED_REPORT, REPLIES, strict=True):
                await chair.says(line, expect)
            await chair.says("1", "Cán bộ cấp trên đã được báo ngay")
            alert = await official._wait(before, "Điểm nóng #1")
            # No buttons on Zalo: the codes are spelled out under the alert.
            assert "«TN 1» – Tiếp nhận" in alert and "«GQ 1 <nội dung>» – Đã giải quyết" in alert
            await official.says("tn 1", "Đồng chí đã tiếp nhận điểm nóng #1")
            await chair._wait(0, "đã được Vàng Thị Mai – Liên đoàn Lao động huyện Bắc Hà (demo) "
                                 "tiếp nhận")
            await official.says("GQ 1 da tra du luong", "Đã đóng điểm nóng #1")
            await chair._wait(0, "Kết quả: da tra du luong")
            listing = await official.says("diem nong", "Không có điểm nóng nào")
            assert "chưa giải quyết" in listing
    finally:
        await app.close()
    assert await incident_state(app) == ("resolved", "da tra du luong",
                                         ["opened", "alerted", "acknowledged", "resolved"])
