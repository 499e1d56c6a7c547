"""Planning around Zalo's monthly quota, and falling back to Telegram for linked people.

The Zalo side is the real channel against the loopback peer; the Telegram side is a
recording channel (the Telegram adapter itself is shown against its own peer elsewhere).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import App, build_app
from bot.channels.base import InboundEvent, OutboundMessage
from bot.clock import ManualClock
from bot.config import Settings
from storage.models import ChannelIdentity, OutboxMessage
from tests.conftest import RecordingChannel
from tests.e2e.zalo_peer import ZaloPeer
from tests.helpers import invite, seed

_ids = itertools.count(1)
ZALO_USER = "5a1e5a1e5a1e5a1e5a1e"
TG_USER = "777000111"
ADMIN_TG = "777000999"
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def zalo_with_telegram(db_url: str, zalo_peer: ZaloPeer, clock: ManualClock, tmp_path: Path,
                       telegram: RecordingChannel, **quota: Any) -> tuple[App, str]:
    """The real Zalo channel on a new peer bot, a recording channel as Telegram."""
    token = zalo_peer.add_bot()
    settings = Settings(
        database_url=db_url, media_dir=tmp_path / "media",
        zalo={"token": token, "api_base": zalo_peer.base, "title": "Zalo Công đoàn tỉnh",
              "chat_interval_seconds": 0, "per_second": 30, "quota": quota},
        _env_file=None,  # type: ignore[call-arg]
    )
    return build_app(settings, clock=clock, channels=[telegram]), token


@pytest.fixture
async def quota_app(db_url: str, zalo_peer: ZaloPeer, clock: ManualClock, tmp_path: Path,
                    telegram: RecordingChannel) -> AsyncIterator[tuple[App, str]]:
    app, token = zalo_with_telegram(db_url, zalo_peer, clock, tmp_path, telegram,
                                    monthly_messages=10, monthly_users=50)
    await seed(app)
    # An administrator on Telegram, a chair on Zalo.
    await say(app, "telegram", ADMIN_TG, await invite(app, "DEMO_TINH", role="admin"))
    await say(app, "zalo", ZALO_USER, await invite(app, "DEMO_CS1"))
    yield app, token
    await app.close()


async def say(app: App, channel: str, who: str, text: str) -> None:
    await app.inbound.handle(InboundEvent(channel=channel, event_id=f"q{next(_ids)}",
                                          sender_id=who, chat_id=who, text=text))
    await app.delivery.drain()


async def queue(app: App, kind: str, *texts: str, to: str = ZALO_USER) -> None:
    """Messages to a Zalo account as the use cases queue them (reminders, alerts...)."""
    async with app.uows() as uow:
        identity = await uow.session.scalar(select(ChannelIdentity).where(
            ChannelIdentity.channel == "zalo", ChannelIdentity.external_id == to))
        assert identity is not None
        for text in texts:
            await uow.outbox.enqueue(identity_id=identity.id, channel="zalo",
                                     address=identity.address, kind=kind, now=app.clock.now(),
                                     payload=OutboundMessage(text).to_payload())
        await uow.commit()


async def rows(app: App, **where: Any) -> list[OutboxMessage]:
    async with app.uows() as uow:
        stmt = select(OutboxMessage).filter_by(**where).order_by(OutboxMessage.id)
        return list((await uow.session.scalars(stmt)).all())


async def test_the_80_percent_warning_reaches_the_administrators_once(
    quota_app: tuple[App, str], zalo_peer: ZaloPeer, telegram: RecordingChannel
) -> None:
    app, token = quota_app
    telegram.clear()
    used = len(zalo_peer.sent(token))  # the chair's enrolment replies
    await queue(app, "reply", *(f"tin {i}" for i in range(10 - used)))
    await app.delivery.drain()
    assert len(zalo_peer.sent(token)) == 10  # replies may use the whole month
    warnings = telegram.texts(ADMIN_TG)
    assert len(warnings) == 1
    assert "8/10 tin nhắn của tháng 11/2026 (80%)" in warnings[0]
    assert "Zalo Công đoàn tỉnh" in warnings[0]
    # More sends in the month: no second warning, and nothing beyond the cap is sent.
    await queue(app, "reply", "tin thêm")
    await app.delivery.drain()
    assert len(zalo_peer.sent(token)) == 10
    assert len(telegram.texts(ADMIN_TG)) == 1


async def test_at_the_cap_an_alert_goes_before_reminders_queued_earlier(
    quota_app: tuple[App, str], zalo_peer: ZaloPeer
) -> None:
    app, token = quota_app
    used = len(zalo_peer.sent(token))
    await queue(app, "reply", *(f"tin {i}" for i in range(9 - used)))
    await app.delivery.drain()
    assert len(zalo_peer.sent(token)) == 9
    await queue(app, "reminder", "Nhắc hạn 1", "Nhắc hạn 2", "Nhắc hạn 3")
    await queue(app, "alert", "CẢNH BÁO: ngừng việc tại Công ty May Bắc Hà")
    await app.delivery.drain()
    sent = zalo_peer.sent(token)
    assert len(sent) == 10 and sent[-1].startswith("CẢNH BÁO")
    parked = await rows(app, kind="reminder")
    assert [r.status for r in parked] == ["pending"] * 3
    # Parked until the plan's month starts again (local time), not retried before.
    reset = datetime(2026, 12, 1, tzinfo=HANOI)
    assert all(r.next_attempt_at == reset for r in parked)
    assert all("kept for more urgent" in (r.last_error or "") for r in parked)


async def test_a_linked_person_gets_the_message_on_telegram_while_zalo_is_paused(
    quota_app: tuple[App, str], zalo_peer: ZaloPeer, telegram: RecordingChannel
) -> None:
    app, token = quota_app
    # The chair links Telegram: a code on Zalo, typed on Telegram, agreed to on Zalo.
    await say(app, "zalo", ZALO_USER, "lienket")
    code = zalo_peer.sent(token, ZALO_USER)[-1].split("Mã liên kết của đồng chí: ")[1][:6]
    await say(app, "telegram", TG_USER, f"/lienket {code}")
    consent = zalo_peer.sent(token, ZALO_USER)[-1]
    assert "Tài khoản Telegram «" in consent
    await say(app, "zalo", ZALO_USER, re.search(r"«(LK \d+)»", consent)[1])  # type: ignore[index]
    assert "Đã liên kết với tài khoản Zalo" in telegram.texts(TG_USER)[-1]
    assert "Đã liên kết với tài khoản Telegram" in zalo_peer.sent(token, ZALO_USER)[-1]
    # Zalo says the month is spent (its count, not ours): 429 on the next send.
    zalo_peer.bots[token].monthly_quota = len(zalo_peer.sent(token))
    telegram.clear()
    await queue(app, "alert", "CẢNH BÁO: tai nạn lao động tại Công ty May Bắc Hà")
    await app.delivery.drain()
    assert telegram.texts(TG_USER) == ["CẢNH BÁO: tai nạn lao động tại Công ty May Bắc Hà"]
    (original,) = await rows(app, kind="alert", channel="zalo")
    assert original.status == "rerouted"
    # The administrators are told once; while paused, later messages go straight to Telegram.
    notices = [t for t in telegram.texts(ADMIN_TG) if "bị Zalo từ chối" in t]
    assert len(notices) == 1 and "tạm dừng 5 phút" in notices[0]
    await queue(app, "reply", "Trả lời tiếp")
    await app.delivery.drain()
    assert telegram.texts(TG_USER)[-1] == "Trả lời tiếp"
    assert len([t for t in telegram.texts(ADMIN_TG) if "bị Zalo từ chối" in t]) == 1
