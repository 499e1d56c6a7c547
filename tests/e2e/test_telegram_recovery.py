"""Crashes, repeats and failing requests: nothing lost, nothing doubled, no token in logs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import pytest
from aiogram.types import Update
from sqlalchemy import func, select

from bot.app import App
from bot.channels.telegram.polling import TelegramPolling
from storage.models import OutboxMessage, ProcessedEvent
from storage.uow import UnitOfWork
from tests.e2e.conftest import running, telegram_app
from tests.e2e.peer import Peer, TgUser, button
from tests.e2e.test_telegram import conversation_state
from tests.helpers import invite, seed

CHAIR = TgUser(5201, "Vàng A Dơ")


class SimulatedCrash(BaseException):
    """The process dying between handling and commit (not an Exception: nothing catches it)."""


class CrashAtNextCommit:
    """Wraps the unit-of-work factory: the next commit kills the process instead."""

    def __init__(self, factory: Any) -> None:
        self.factory = factory
        self.armed = False

    def __call__(self) -> UnitOfWork:
        uow: UnitOfWork = self.factory()
        if self.armed:
            self.armed = False

            async def crash() -> None:
                raise SimulatedCrash

            uow.commit = crash  # type: ignore[method-assign]
        return uow


async def start_report(app: App, peer: Peer, code: str) -> None:
    await peer.text(CHAIR, f"/start {code}")
    await peer.wait_chat(CHAIR.id, lambda ms: bool(ms) and "/baocao" in ms[-1]["text"])
    await peer.text(CHAIR, "/baocao")
    q1 = (await peer.wait_chat(CHAIR.id, lambda ms: "Lĩnh vực phát sinh?" in ms[-1]["text"]))[-1]
    await peer.press(CHAIR, q1, button(q1, "Ngừng việc tập thể"))
    await peer.wait_chat(CHAIR.id, lambda ms: "Bao nhiêu người ngừng việc?" in ms[-1]["text"])


async def test_a_crash_before_commit_means_redelivery_and_exactly_one_stored_answer(
    tg_app: App, peer: Peer
) -> None:
    await seed(tg_app)
    code = await invite(tg_app, "DEMO_CS2")
    crash = CrashAtNextCommit(tg_app.inbound.uows)
    tg_app.inbound.uows = crash
    assert tg_app.telegram is not None
    async with running(tg_app, polling=False):
        first = TelegramPolling(tg_app.telegram.bot, tg_app.telegram.feed, timeout=1)
        poller = asyncio.create_task(first.run())
        await start_report(tg_app, peer, code)
        crash.armed = True
        await peer.text(CHAIR, "120")
        with pytest.raises(SimulatedCrash):
            await asyncio.wait_for(poller, 15)
        state = await conversation_state(tg_app, CHAIR)
        assert state is not None and "so_nguoi_ngung_viec" not in state["session"]["answers"]

        # A new process: no offset in memory, so Telegram hands over what was not confirmed.
        second = TelegramPolling(tg_app.telegram.bot, tg_app.telegram.feed, timeout=1)
        poller = asyncio.create_task(second.run())
        try:
            await peer.wait_chat(CHAIR.id, lambda ms: "Mức độ?" in ms[-1]["text"])
            await asyncio.sleep(1.5)  # a further poll round: nothing comes twice
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
    state = await conversation_state(tg_app, CHAIR)
    assert state is not None and state["session"]["answers"]["so_nguoi_ngung_viec"] == 120
    texts = [m["text"] for m in await peer.chat(CHAIR.id)]
    assert sum("Mức độ?" in t for t in texts) == 1


async def test_the_same_update_fed_twice_gives_one_answer_and_one_reply(
    tg_app: App, peer: Peer
) -> None:
    await seed(tg_app)
    code = await invite(tg_app, "DEMO_CS2")
    assert tg_app.telegram is not None
    async with running(tg_app):
        await start_report(tg_app, peer, code)
    async with tg_app.uows() as uow:
        before = await uow.session.scalar(select(func.count()).select_from(OutboxMessage))
    data = {"update_id": 424242, "message": {
        "message_id": 77, "date": int(time.time()), "text": "120",
        "chat": {"id": CHAIR.id, "type": "private", "first_name": CHAIR.first_name},
        "from": {"id": CHAIR.id, "is_bot": False, "first_name": CHAIR.first_name}}}
    update = Update.model_validate(data, context={"bot": tg_app.telegram.bot})
    await tg_app.telegram.feed(update)
    await tg_app.telegram.feed(update)
    async with tg_app.uows() as uow:
        after = await uow.session.scalar(select(func.count()).select_from(OutboxMessage))
        seen = await uow.session.scalar(select(func.count()).select_from(ProcessedEvent).where(
            ProcessedEvent.event_id == "424242"))
    assert after - before == 1 and seen == 1
    state = await conversation_state(tg_app, CHAIR)
    assert state is not None and state["session"]["answers"] == {
        "linh_vuc": "ngung_viec", "so_nguoi_ngung_viec": 120}


async def test_the_token_never_appears_in_any_log_line(
    db_url: str, peer: Peer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = telegram_app(db_url, peer)
    secret_part = peer.token.split(":", 1)[1]
    try:
        await seed(app)
        async with app.uows() as uow:
            identity = await uow.identities.get_or_create(
                "telegram", str(CHAIR.id), str(CHAIR.id), CHAIR.first_name, app.clock.now())
            await uow.outbox.enqueue(identity_id=identity.id, channel="telegram",
                                     address=str(CHAIR.id), payload={"text": "Nhắc báo cáo"},
                                     now=app.clock.now())
            await uow.commit()
        # A wrong base URL or a proxy answers HTML that echoes the request path, token and all.
        await peer.fault("sendMessage", 404, "", raw=True)
        await app.delivery.run_once()
        # And an HTTP client error: nothing listens on this port.
        broken = telegram_app(db_url, Peer("http://127.0.0.1:9", peer.token, peer.http))
        assert broken.telegram_polling is not None
        with contextlib.suppress(Exception):
            await broken.telegram_polling.poll_once()
        await broken.close()
    finally:
        await app.close()
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    lines = [formatter.format(r) for r in caplog.records]
    assert any("Cannot POST /bot<redacted>/sendMessage" in line for line in lines), lines
    assert all(secret_part not in line and peer.token not in line for line in lines)
    assert secret_part not in caplog.text

