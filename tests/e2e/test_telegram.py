"""The bot against a real Bot API peer over HTTP: polling, buttons, photos, deep links."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.app import App
from storage.models import AuditLog, ChannelIdentity, Conversation, ProcessedEvent, Report
from tests.e2e.conftest import running
from tests.e2e.peer import Peer, TgUser, button, eventually
from tests.helpers import invite, reports, seed

CHAIR = TgUser(5001, "Lò Văn An")
STRANGER = TgUser(5002, "Người Lạ")


def report_year() -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).year


def last(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return messages[-1]


def ends_with(part: str) -> Any:
    return lambda ms: bool(ms) and part in ms[-1]["text"]


async def conversation_state(app: App, user: TgUser) -> dict[str, Any] | None:
    async with app.uows() as uow:
        identity = await uow.session.scalar(
            select(ChannelIdentity).where(ChannelIdentity.external_id == str(user.id)))
        assert identity is not None
        conv = await uow.session.scalar(
            select(Conversation).where(Conversation.person_id == identity.person_id))
        return conv.state if conv else None


async def test_enrol_by_deep_link_and_file_a_rapid_report_with_buttons_typing_and_a_photo(
    tg_app: App, peer: Peer
) -> None:
    await seed(tg_app)
    code = await invite(tg_app, "DEMO_CS2")
    async with running(tg_app):
        # The menu: Vietnamese for everyone, English for English-language phones.
        menus = await peer.commands()
        assert [c["command"] for c in menus["default|"]][:3] == ["baocao", "dinhky", "hanbaocao"]
        assert menus["default|"][0]["description"] == "Gửi báo cáo nhanh"
        assert menus["default|en"][0] == {"command": "report",
                                          "description": "File a rapid report"}

        await peer.text(CHAIR, f"/start {code}")
        await peer.wait_chat(CHAIR.id, ends_with("/baocao"))
        welcome = (await peer.chat(CHAIR.id))[-1]["text"]
        assert "CĐCS Trường THCS Bảo Nhai" in welcome and "chủ tịch CĐCS" in welcome

        await peer.text(CHAIR, "/baocao")
        q1 = last(await peer.wait_chat(CHAIR.id, ends_with("Lĩnh vực phát sinh?")))
        assert "Lĩnh vực phát sinh?" in q1["text"]
        rows = q1["reply_markup"]["inline_keyboard"]
        # Twelve long labels: listed in full in the text, buttons two to a row.
        assert "7. Ngừng việc tập thể, đình công" in q1["text"]
        assert all(len(r) <= 2 for r in rows[:-1]) and len(rows) == 7
        data = [b["callback_data"] for r in rows for b in r]
        assert all(len(d.encode()) <= 64 and d.isascii() for d in data)

        await peer.press(CHAIR, q1, button(q1, "Ngừng việc tập thể"))
        await peer.wait_chat(CHAIR.id, ends_with("Bao nhiêu người ngừng việc?"))
        q1_after = next(
            m for m in await peer.chat(CHAIR.id) if m["message_id"] == q1["message_id"])
        assert q1_after["text"].endswith("✅ Ngừng việc tập thể, đình công")
        assert q1_after["reply_markup"] is None
        assert [a.get("text") for a in await peer.callback_answers()] == [None]

        await peer.text(CHAIR, "120")
        q3 = last(await peer.wait_chat(CHAIR.id, ends_with("Mức độ?")))
        await peer.press(CHAIR, q3, button(q3, "Khẩn cấp"))
        # A strike's head count was asked: the workers involved are not asked again.
        await peer.wait_chat(CHAIR.id, ends_with("Mô tả ngắn sự việc"))
        await peer.text(CHAIR, "Công nhân ngừng việc vì bị nợ lương hai tháng")
        await peer.wait_chat(CHAIR.id, ends_with("Tình trạng xử lý tại cơ sở?"))
        await peer.text(CHAIR, "can ho tro")  # typed, without diacritics
        await peer.wait_chat(CHAIR.id, ends_with("Đề xuất, kiến nghị"))
        await peer.text(CHAIR, "Đề nghị LĐLĐ huyện vào cuộc")
        q8 = last(await peer.wait_chat(CHAIR.id, ends_with("Ảnh, tài liệu")))

        photo = [
            {"file_id": "AgACAgIAAxk-small", "file_unique_id": "s1", "width": 90, "height": 90,
             "file_size": 1500},
            {"file_id": "AgACAgIAAxk-large", "file_unique_id": "l1", "width": 1280,
             "height": 960, "file_size": 182044},
        ]
        await peer.send(CHAIR, photo=photo, caption="hiện trường")
        await peer.wait_chat(CHAIR.id, ends_with("Đã nhận tệp thứ 1"))
        q8_again = q8  # the question's keyboard stays current while files come in

        # A press on the old "Mức độ" keyboard: refused with a notice, nothing changes.
        before = await conversation_state(tg_app, CHAIR)
        count = len(await peer.chat(CHAIR.id))
        await peer.press(CHAIR, q3, button(q3, "Bình thường"))
        answers = await _wait_answers(peer, 3)
        assert answers[-1]["text"] == (
            "Nút này đã cũ, không dùng được nữa. Hãy trả lời câu hỏi mới nhất.")
        assert await conversation_state(tg_app, CHAIR) == before
        assert len(await peer.chat(CHAIR.id)) == count

        # Someone else's keyboard (a forwarded message, a shared phone): refused too.
        await peer.press(STRANGER, q8_again, button(q8_again, "Xong"))
        answers = await _wait_answers(peer, 4)
        assert answers[-1]["text"] == "Nút này thuộc cuộc trò chuyện của người khác."
        assert await conversation_state(tg_app, CHAIR) == before

        await peer.press(CHAIR, q8_again, button(q8_again, "Xong"))
        card = last(await peer.wait_chat(
            CHAIR.id, lambda ms: ms[-1]["text"].startswith("Kiểm tra lại Báo cáo nhanh")))
        assert "Ngừng việc tập thể, đình công" in card["text"] and "1 tệp" in card["text"]
        await peer.press(CHAIR, card, button(card, "Gửi"))
        done = last(await peer.wait_chat(CHAIR.id, ends_with("BC-")))
        assert f"Số báo cáo: BC-{report_year()}-000001" in done["text"]

    [report] = await reports(tg_app)
    assert report.answers["linh_vuc"] == "ngung_viec"
    assert report.answers["so_nguoi_ngung_viec"] == 120
    assert report.answers["muc_do"] == "khan_cap"
    assert report.answers["tinh_trang"] == "can_ho_tro"
    assert report.answers["dinh_kem"] == [
        {"kind": "photo", "ref": "AgACAgIAAxk-large", "size": 182044, "mime": "image/jpeg"}
    ]
    # Every press was answered: four accepted, one stale, one foreign.
    answers = await peer.callback_answers()
    assert len(answers) == 6 and len({a["callback_query_id"] for a in answers}) == 6
    async with tg_app.uows() as uow:
        redeemed = await uow.session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "invite.redeemed"))
    assert redeemed == 1


async def _wait_answers(peer: Peer, n: int) -> list[dict[str, Any]]:
    return await eventually(peer.callback_answers, lambda answers: len(answers) >= n,
                            f"{n} callback answers")


async def test_documents_voice_location_and_what_the_bot_cannot_take(
    tg_app: App, peer: Peer
) -> None:
    await seed(tg_app)
    code = await invite(tg_app, "DEMO_CS3")
    async with running(tg_app):
        await peer.text(CHAIR, f"/start {code}")
        await peer.wait_chat(CHAIR.id, ends_with("/baocao"))
        await peer.send(CHAIR, sticker={
            "file_id": "st1", "file_unique_id": "st1", "type": "regular", "width": 512,
            "height": 512, "is_animated": False, "is_video": False})
        await peer.wait_chat(CHAIR.id, ends_with("Bot chưa nhận được loại tin này"))
        for line in ["/baocao", "1", "binh thuong", "12", "Chậm lương tháng 10 cho 12 người",
                     "dang giai quyet"]:
            await peer.text(CHAIR, line)
            await _settle(peer, CHAIR)
        await peer.wait_chat(CHAIR.id, ends_with("Ảnh, tài liệu"))
        await peer.send(CHAIR, document={"file_id": "BQAC-big", "file_unique_id": "d0",
                                         "file_name": "video.mp4", "mime_type": "video/mp4",
                                         "file_size": 30 * 1024 * 1024})
        await peer.wait_chat(CHAIR.id, ends_with("Tệp quá lớn: tối đa 20 MB"))
        await peer.send(CHAIR, location={"latitude": 22.5, "longitude": 104.3})
        await peer.wait_chat(CHAIR.id, ends_with("Câu này không nhận loại tệp đó."))
        await peer.send(CHAIR, document={"file_id": "BQAC-pdf", "file_unique_id": "d1",
                                         "file_name": "bang-luong.pdf",
                                         "mime_type": "application/pdf", "file_size": 48213})
        await peer.wait_chat(CHAIR.id, ends_with("Ảnh, tài liệu"))
        await peer.send(CHAIR, voice={"file_id": "AwAC-voice", "file_unique_id": "v1",
                                      "duration": 12, "mime_type": "audio/ogg",
                                      "file_size": 20480})
        await peer.wait_chat(CHAIR.id, lambda ms: "Đã nhận tệp thứ 2" in ms[-1]["text"])
        await peer.text(CHAIR, "xong")
        await _settle(peer, CHAIR)
        await peer.text(CHAIR, "gui")
        await peer.wait_chat(CHAIR.id, ends_with("BC-"))
    [report] = await reports(tg_app)
    assert report.answers["dinh_kem"] == [
        {"kind": "document", "ref": "BQAC-pdf", "size": 48213, "name": "bang-luong.pdf",
         "mime": "application/pdf"},
        {"kind": "voice", "ref": "AwAC-voice", "size": 20480, "mime": "audio/ogg"},
    ]
    texts = [m["text"] for m in await peer.chat(CHAIR.id)]
    # This question takes photos, documents and voice notes, not a location.
    assert any(t.startswith("Câu này không nhận loại tệp đó.") for t in texts)


async def _settle(peer: Peer, user: TgUser) -> None:
    """Wait until the bot has answered the last line (its reply count grows)."""
    before = len(await peer.chat(user.id))
    await eventually(lambda: peer.chat(user.id), lambda ms: len(ms) > before, "an answer")


async def test_events_are_recorded_once(tg_app: App, peer: Peer) -> None:
    await seed(tg_app)
    async with running(tg_app):
        await peer.text(CHAIR, "xin chao")
        await peer.wait_chat(CHAIR.id, lambda ms: len(ms) == 1)
    async with tg_app.uows() as uow:
        seen = await uow.session.scalar(select(func.count()).select_from(ProcessedEvent))
        stored = await uow.session.scalar(select(func.count()).select_from(Report))
    assert seen == 1 and stored == 0
