"""Webhook mode: the peer pushes updates to our aiohttp server with the secret header."""

from __future__ import annotations

import asyncio
import socket
import time

import aiohttp
from sqlalchemy import func, select

from bot.app import App
from bot.service import serve
from storage.models import ChannelIdentity, OutboxMessage, ProcessedEvent
from tests.e2e.conftest import telegram_app
from tests.e2e.peer import Peer, TgUser, button
from tests.helpers import invite, seed

CHAIR = TgUser(5101, "Giàng Thị Mai")
SECRET = "e2e-webhook-secret-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_with_the_right_secret_works_and_a_wrong_one_gets_403(
    db_url: str, peer: Peer
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg/hook"
    app: App = telegram_app(db_url, peer, http_port=port, mode="webhook", webhook_url=url,
                            webhook_secret=SECRET, chat_interval_seconds=0.05)
    await seed(app)
    code = await invite(app, "DEMO_CS2")
    stop = asyncio.Event()
    service = asyncio.create_task(serve(app, stop))
    try:
        for _ in range(200):
            if await peer.calls("setWebhook"):
                break
            await asyncio.sleep(0.05)
        [set_call] = await peer.calls("setWebhook")
        assert set_call["status"] == 200

        await peer.text(CHAIR, f"/start {code}")
        await peer.wait_chat(CHAIR.id, lambda ms: bool(ms) and "/baocao" in ms[-1]["text"])
        await peer.text(CHAIR, "/baocao")
        q1 = (await peer.wait_chat(
            CHAIR.id, lambda ms: "Lĩnh vực phát sinh?" in ms[-1]["text"]))[-1]
        await peer.press(CHAIR, q1, button(q1, "Tiền lương"))
        await peer.wait_chat(CHAIR.id, lambda ms: "Mức độ?" in ms[-1]["text"])
        log = await peer.webhook_log()
        assert log and all(entry["status"] == 200 for entry in log)

        async with app.uows() as uow:
            events_before = await uow.session.scalar(
                select(func.count()).select_from(ProcessedEvent))
            outbox_before = await uow.session.scalar(
                select(func.count()).select_from(OutboxMessage))
        intruder = {"update_id": 987654, "message": {
            "message_id": 1, "date": int(time.time()), "text": "/start ABCD2345",
            "chat": {"id": 9999, "type": "private", "first_name": "X"},
            "from": {"id": 9999, "is_bot": False, "first_name": "X"}}}
        async with aiohttp.ClientSession() as http:
            for headers in ({"X-Telegram-Bot-Api-Secret-Token": "wrong-secret-0123456789"}, {}):
                async with http.post(url, json=intruder, headers=headers) as resp:
                    assert resp.status == 403
        async with app.uows() as uow:
            assert await uow.session.scalar(
                select(func.count()).select_from(ProcessedEvent)) == events_before
            assert await uow.session.scalar(
                select(func.count()).select_from(OutboxMessage)) == outbox_before
            assert await uow.session.scalar(select(ChannelIdentity).where(
                ChannelIdentity.external_id == "9999")) is None
        async with aiohttp.ClientSession() as http, http.get(
            f"http://127.0.0.1:{port}/healthz"
        ) as resp:
            assert resp.status == 200
    finally:
        stop.set()
        await service
        await app.close()
