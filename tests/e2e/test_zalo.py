"""The Zalo channel end to end, against a Zalo Bot API peer served on loopback
(tests/e2e/zalo_peer.py): polling and webhook, numbered answers, photos, repeats."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import App, build_app
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.service import serve
from storage.models import ChannelIdentity, OutboxMessage, ProcessedEvent
from tests.e2e.zalo_peer import ZaloPeer, ZaloUser
from tests.helpers import invite, reports, seed

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40 + b"\xff\xd9"
SECRET = "zalo-webhook-secret-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def zalo_app(db_url: str, peer: ZaloPeer, token: str, tmp_path: Path, *,
             http_port: int = 0, clock: Clock | None = None, fire_poll_seconds: float = 5.0,
             public_url: str | None = None, **zalo: Any) -> App:
    settings = Settings(
        database_url=db_url,
        media_dir=tmp_path / "media",
        zalo={"token": token, "api_base": peer.base, "poll_timeout": 1, "per_second": 30,
              "chat_interval_seconds": 0.01, **zalo},
        http={"host": "127.0.0.1", "port": http_port, "public_url": public_url},
        fire_poll_seconds=fire_poll_seconds,
        _env_file=None,  # type: ignore[call-arg]
    )
    return build_app(settings, clock=clock or SystemClock())


@contextlib.asynccontextmanager
async def serving(app: App) -> AsyncIterator[None]:
    """The service as `tinhhinh run` runs it: webhook or polling, delivery, timers."""
    stop = asyncio.Event()
    ready = asyncio.Event()
    task = asyncio.create_task(serve(app, stop, ready=ready.set))
    await asyncio.wait_for(ready.wait(), 10)
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


class Chat:
    """One simulated Zalo user talking to one bot."""

    def __init__(self, peer: ZaloPeer, token: str, user: ZaloUser) -> None:
        self.peer, self.token, self.user = peer, token, user

    def received(self) -> list[str]:
        return self.peer.sent(self.token, self.user.id)

    async def says(self, text: str, expect: str) -> str:
        """Send a line; wait for a reply containing ``expect``; return all new text."""
        before = len(self.received())
        await self.peer.says(self.token, self.user, text)
        return await self._wait(before, expect)

    async def photo(self, data: bytes, expect: str) -> str:
        before = len(self.received())
        await self.peer.sends_photo(self.token, self.user, data)
        return await self._wait(before, expect)

    async def _wait(self, before: int, expect: str, within: float = 15.0) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            new = "\n".join(self.received()[before:])
            if expect in new:
                return new
            if loop.time() > deadline:
                raise AssertionError(f"no reply with {expect!r}; got: {new!r}")
            await asyncio.sleep(0.02)


async def test_a_chair_enrols_and_files_a_full_rapid_report_on_zalo(
    db_url: str, zalo_peer: ZaloPeer, tmp_path: Path
) -> None:
    token = zalo_peer.add_bot()
    app = zalo_app(db_url, zalo_peer, token, tmp_path)
    await seed(app)
    code = await invite(app, "DEMO_CS1")
    chat = Chat(zalo_peer, token, ZaloUser("a1b2c3d4e5f6a7b8c9d0", "Lò Văn Minh"))
    try:
        async with serving(app):
            assert "mã mời" in await chat.says("xin chao", "chưa tham gia")
            await chat.says(code.lower(), "CĐCS Công ty TNHH May Bắc Hà")
            q1 = await chat.says("bao cao", "Câu 1.")
            # No buttons on Zalo: the choices are numbered, with a short hint.
            assert "  1. Tiền lương, nợ/chậm lương" in q1
            assert "  7. Ngừng việc tập thể, đình công" in q1
            assert "Trả lời bằng số 1–12" in q1
            await chat.says("ngung viec", "Bao nhiêu người ngừng việc")  # label, no diacritics
            await chat.says("120", "Mức độ")
            await chat.says("khan cap", "Mô tả ngắn")  # a strike: no second head count
            description = ("Cong nhan ngung viec vi bi no luong hai thang, doi gap giam doc. "
                           * 30)[:1500]
            await chat.says(description, "Tình trạng xử lý")
            proposal = ("De nghi LDLD huyen cu can bo xuong lam viec ngay. " * 25)[:1000]
            await chat.says("4", "Đề xuất")
            attach = await chat.says(proposal, "Ảnh, tài liệu")
            # Zalo delivers photos only: that is what the question asks for there.
            assert "Gửi ảnh (gửi được nhiều ảnh). Trên Zalo bot chỉ nhận ảnh" in attach
            assert "tin nhắn thoại (gửi được nhiều tệp)" not in attach
            await chat.photo(JPEG, "Đã nhận tệp thứ 1")
            before = len(chat.received())
            card = await chat.says("xong", "Gõ 1 để gửi")
            # The card is longer than Zalo's 2,000 characters: it came in parts, each accepted.
            parts = chat.received()[before:]
            assert len(parts) >= 2 and all(len(p) <= 2000 for p in parts)
            assert "Ngừng việc tập thể, đình công" in card and "Khẩn cấp" in card
            done = await chat.says("1", "BC-2026-")
            assert "BC-2026-000001" in done
    finally:
        await app.close()
    (report,) = await reports(app)
    answers = report.answers
    assert answers["linh_vuc"] == "ngung_viec" and answers["so_nguoi_ngung_viec"] == 120
    assert answers["muc_do"] == "khan_cap" and answers["tinh_trang"] == "can_ho_tro"
    assert answers["mo_ta"] == description.strip() and answers["de_xuat"] == proposal.strip()
    (photo,) = answers["dinh_kem"]
    assert photo["kind"] == "photo" and photo["size"] == len(JPEG)
    # Downloaded at once (the URL expires) into the media directory, by the message's month
    # (Zalo dates are milliseconds).
    stored = tmp_path / "media" / photo["ref"]
    assert stored.read_bytes() == JPEG
    assert photo["ref"].startswith("zalo/2026-") and stored.suffix == ".jpg"


async def test_stickers_and_voice_get_a_short_explanation_and_change_nothing(
    db_url: str, zalo_peer: ZaloPeer, tmp_path: Path
) -> None:
    token = zalo_peer.add_bot()
    app = zalo_app(db_url, zalo_peer, token, tmp_path)
    await seed(app)
    code = await invite(app, "DEMO_CS1")
    user = ZaloUser("f00dfeedf00dfeed0001", "Chị Hoa")
    chat = Chat(zalo_peer, token, user)
    try:
        async with serving(app):
            await chat.says(code, "Bắc Hà")
            await chat.says("baocao", "Câu 1.")
            before = len(chat.received())
            await zalo_peer.sends_sticker(token, user)
            reply = await chat._wait(before, "Câu 1.")
            assert "sticker" in reply and "gửi ảnh khi được hỏi" in reply
            before = len(chat.received())
            await zalo_peer.deliver(token, {"event_name": "message.voice.received",
                                            "message": zalo_peer._message(user, voice_url="x")})
            assert "tin nhắn thoại" in await chat._wait(before, "Câu 1.")
            # The draft is where it was: question 1 still takes the answer.
            await chat.says("1", "Câu 2.")
    finally:
        await app.close()


async def test_webhook_refuses_a_wrong_secret_and_applies_a_repeated_message_once(
    db_url: str, zalo_peer: ZaloPeer, tmp_path: Path
) -> None:
    token = zalo_peer.add_bot()
    port = free_port()
    app = zalo_app(db_url, zalo_peer, token, tmp_path, http_port=port, mode="webhook",
                   webhook_url=f"http://127.0.0.1:{port}/zalo", webhook_secret=SECRET)
    user = ZaloUser("0badc0de0badc0de0badc0de", "Anh Tú")
    try:
        async with serving(app):
            for _ in range(100):  # setWebhook is called at start-up
                if zalo_peer.bots[token].webhook_url:
                    break
                await asyncio.sleep(0.05)
            bot = zalo_peer.bots[token]
            assert bot.webhook_url == f"http://127.0.0.1:{port}/zalo/main"
            update = {"event_name": "message.text.received",
                      "message": zalo_peer._message(user, text="xin chao")}
            assert await zalo_peer.post_webhook(token, update, "wrong-secret") == 403
            assert await zalo_peer.post_webhook(token, update, "") == 403
            await asyncio.sleep(0.3)
            assert await _count(app, ChannelIdentity) == 0
            assert await _count(app, ProcessedEvent) == 0
            assert zalo_peer.sent(token) == []
            # The same message three times, in both envelope shapes.
            assert await zalo_peer.post_webhook(token, {"ok": True, "result": update},
                                                SECRET) == 200
            assert await zalo_peer.post_webhook(token, update, SECRET) == 200
            assert await zalo_peer.post_webhook(token, {"ok": True, "result": update},
                                                SECRET) == 200
            await zalo_peer.wait_sent(token, user.id, 1)
            await asyncio.sleep(0.5)
            assert len(zalo_peer.sent(token, user.id)) == 1
            assert "chưa tham gia" in zalo_peer.sent(token, user.id)[0]
            assert await _count(app, ProcessedEvent) == 1
            assert await _count(app, ChannelIdentity) == 1
            assert await _count(app, OutboxMessage) == 1
            # A new message, delivered by the peer's own webhook call (the other shape).
            await zalo_peer.says(token, user, "tro giup")
            await zalo_peer.wait_sent(token, user.id, 2)
            assert "mã mời" in zalo_peer.sent(token, user.id)[1]
    finally:
        await app.close()


async def _count(app: App, model: Any) -> int:
    async with app.uows() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)
