"""d. Zalo's allowance against the peer (SQLite and PostgreSQL): a 429 pauses and probes
instead of parking the month, and the administrators hear it on a channel that works;
strangers cannot spend what an alert to an official needs; a burst of lines costs a bounded
number of messages. The Zalo side is the real channel and inbox; the Telegram side (an
administrator's other messenger) is a recording channel."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.channels.base import InboundEvent
from bot.clock import ManualClock
from bot.config import Settings
from storage.models import ChannelIdentity, ChannelUsage
from tests.conftest import RecordingChannel
from tests.e2e.test_zalo_quota import queue, rows, zalo_with_telegram
from tests.e2e.zalo_peer import ZaloPeer, ZaloUser
from tests.helpers import invite, seed

_ids = itertools.count(1)
ADMIN_TG = "777000999"
ADMIN_ZALO = "a0a0a0a0a0a0a0a0a0a0"
CHAIR = "c1c1c1c1c1c1c1c1c1c1"
OFFICIAL = "0f0f0f0f0f0f0f0f0f0f"


@pytest.fixture
async def zalo(db_url: str, zalo_peer: ZaloPeer, clock: ManualClock, tmp_path: Path,
               telegram: RecordingChannel) -> AsyncIterator[tuple[App, str]]:
    app, token = zalo_with_telegram(db_url, zalo_peer, clock, tmp_path, telegram,
                                    replies_per_hour=20)
    await seed(app)
    # Administrators: one on Telegram, one on Zalo only. A chair and an official on Zalo.
    await say(app, "telegram", ADMIN_TG, await invite(app, "DEMO_TINH", role="admin"))
    await say(app, "zalo", ADMIN_ZALO, await invite(app, "DEMO_TINH", role="admin"))
    await say(app, "zalo", CHAIR, await invite(app, "DEMO_CS1"))
    await say(app, "zalo", OFFICIAL, await invite(app, "DEMO_HUYEN", role="official"))
    telegram.clear()
    yield app, token
    await app.close()


async def say(app: App, channel: str, who: str, *texts: str) -> None:
    for text in texts:
        await app.inbound.handle(InboundEvent(channel=channel, event_id=f"z{next(_ids)}",
                                              sender_id=who, chat_id=who, text=text))
    await app.delivery.drain()


async def usage(app: App) -> ChannelUsage:
    async with app.uows() as uow:
        found = await uow.session.scalar(select(ChannelUsage))
        assert found is not None
        return found


async def test_a_429_pauses_probes_and_recovers_and_the_administrators_are_told(
    zalo: tuple[App, str], zalo_peer: ZaloPeer, clock: ManualClock,
    telegram: RecordingChannel,
) -> None:
    app, token = zalo
    start = clock.now()
    zalo_peer.refuse(token)
    await say(app, "zalo", CHAIR, "trogiup")  # the reply meets the 429
    assert zalo_peer.bots[token].refused[-1]["chat_id"] == CHAIR
    [notice] = [t for t in telegram.texts(ADMIN_TG) if "bị Zalo từ chối" in t]
    assert "tạm dừng 5 phút" in notice
    # While paused an alert is queued: it waits with the reply, minutes, not until December.
    await queue(app, "alert", "🔴 KHẨN CẤP – Điểm nóng #7", to=OFFICIAL)
    await app.delivery.drain()
    waiting = await rows(app, status="pending", channel="zalo")
    assert {r.next_attempt_at for r in waiting} == {start + timedelta(minutes=5)}
    assert (await usage(app)).strikes == 1
    # The pause ends; the first send probes, and another 429 doubles the pause.
    zalo_peer.refuse(token)
    clock.advance(timedelta(minutes=5))
    await app.delivery.drain()
    state = await usage(app)
    assert state.strikes == 2 and state.paused_until == clock.now() + timedelta(minutes=10)
    # (A send held back while the probe was out may look again sooner: it meets the pause.)
    assert all(clock.now() < r.next_attempt_at <= state.paused_until
               for r in await rows(app, status="pending", channel="zalo"))
    # Zalo recovers: everything waiting arrives (a send held back while the probe was out
    # looks again within 10 s), nothing parked till the month ends.
    clock.advance(timedelta(minutes=10))
    await app.delivery.drain()
    clock.advance(timedelta(seconds=10))
    await app.delivery.drain()
    assert zalo_peer.sent(token, OFFICIAL)[-1] == "🔴 KHẨN CẤP – Điểm nóng #7"
    assert zalo_peer.sent(token, CHAIR)[-1].startswith("Các lệnh")  # the help, at last
    assert await rows(app, status="pending") == []
    state = await usage(app)
    assert (state.strikes, state.paused_until) == (0, None)
    assert [t for t in telegram.texts(ADMIN_TG) if "gửi được tin trở lại" in t]
    # The Zalo-only administrator was told too, once Zalo carried messages again.
    on_zalo = zalo_peer.sent(token, ADMIN_ZALO)
    assert any("bị Zalo từ chối" in t for t in on_zalo)
    assert any("gửi được tin trở lại" in t for t in on_zalo)
    assert len([t for t in telegram.texts(ADMIN_TG) if "bị Zalo từ chối" in t]) == 1


async def test_sixty_strangers_cannot_delay_an_alert_to_an_official(
    zalo: tuple[App, str], zalo_peer: ZaloPeer,
) -> None:
    app, token = zalo
    strangers = [f"5{n:019d}" for n in range(60)]
    for who in strangers:
        await say(app, "zalo", who, "alo")
    answered = [w for w in strangers if zalo_peer.sent(token, w)]
    # The strangers' share of the month's 50 users: 5 of them get an answer.
    assert len(answered) == 5
    state = await usage(app)
    assert state.stranger_users == 5 and state.users <= 5 + 4
    assert len(await rows(app, status="dropped")) == 55
    # An alert to the enrolled official goes at once; a chair's reply too.
    await queue(app, "alert", "🔴 KHẨN CẤP – Điểm nóng #9", to=OFFICIAL)
    await app.delivery.drain()
    assert zalo_peer.sent(token, OFFICIAL)[-1] == "🔴 KHẨN CẤP – Điểm nóng #9"
    await say(app, "zalo", CHAIR, "trogiup")
    assert zalo_peer.sent(token, CHAIR)[-1].startswith("Các lệnh")


async def test_a_burst_of_two_thousand_lines_costs_a_bounded_number_of_messages(
    zalo: tuple[App, str], zalo_peer: ZaloPeer,
) -> None:
    app, token = zalo
    [bot] = app.zalo
    assert bot.polling is not None
    sender = ZaloUser("b0b0b0b0b0b0b0b0b0b0", "Người lạ")
    for n in range(2000):
        await zalo_peer.says(token, sender, f"alo {n}")
    sent_before = len(zalo_peer.sent(token))
    # Through the real path: polled one by one, stored, applied, answered.
    for _ in range(2000):
        assert await bot.polling.poll_once() == 1
    await bot.inbox.join()
    await app.delivery.drain(rounds=200)
    # Every line was taken in (a processed event each); 3 replies went out, the rest dropped.
    async with app.uows() as uow:
        from storage.models import ProcessedEvent

        taken = await uow.session.scalar(select(func.count()).select_from(ProcessedEvent)
                                         .where(ProcessedEvent.channel == "zalo"))
    assert taken is not None and taken >= 2000
    assert len(zalo_peer.sent(token, sender.id)) == 3
    assert len(zalo_peer.sent(token)) - sent_before == 3
    assert (await usage(app)).stranger_messages == 3
    # An enrolled chair's burst: bounded per hour (20 here), the lines all stored.
    before = len(zalo_peer.sent(token, CHAIR))
    await say(app, "zalo", CHAIR, *(f"xin chao {n}" for n in range(60)))
    assert len(zalo_peer.sent(token, CHAIR)) - before <= 20


def group_message(user: ZaloUser, group: str, text: str) -> dict[str, Any]:
    return {"event_name": "message.text.received", "message": {
        "from": {"id": user.id, "display_name": user.display_name, "is_bot": False},
        "chat": {"id": group, "chat_type": "GROUP"}, "message_id": f"g{next(_ids)}",
        "date": 1_764_000_000_000, "text": text}}


async def test_a_group_gets_one_line_a_day_saying_to_write_privately(
    zalo: tuple[App, str], zalo_peer: ZaloPeer, clock: ManualClock,
) -> None:
    app, token = zalo
    [bot] = app.zalo
    assert bot.polling is not None
    group, member = "9999888877776666", ZaloUser("6a6a6a6a6a6a6a6a6a6a", "Thành viên nhóm")

    async def in_group(*texts: str) -> None:
        for text in texts:
            await zalo_peer.deliver(token, group_message(member, group, text))
            await bot.polling.poll_once()
        await bot.inbox.join()
        await app.delivery.drain()

    await in_group("bao cao", "alo", "có ai không")
    assert zalo_peer.sent(token, group) == [
        "Bot «nắm tình hình» chỉ làm việc trong tin nhắn riêng, để báo cáo và tên người lao "
        "động không lộ trong nhóm. Hãy nhắn riêng cho bot."]
    assert zalo_peer.sent(token, member.id) == []  # nothing private, no account made
    async with app.uows() as uow:
        assert await uow.session.scalar(select(ChannelIdentity).where(
            ChannelIdentity.external_id == member.id)) is None
    clock.advance(timedelta(days=1))
    await in_group("hôm nay thì sao")
    assert len(zalo_peer.sent(token, group)) == 2


async def test_a_token_zalo_refuses_is_reported_at_start_up(
    db_url: str, zalo_peer: ZaloPeer, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(database_url=db_url, media_dir=tmp_path / "media",
                        zalo={"token": "1234567890:not-a-token-zalo-knows",
                              "api_base": zalo_peer.base},
                        _env_file=None)  # type: ignore[call-arg]
    app = build_app(settings)
    try:
        await app.zalo[0].check_token()
        status, health = await app.health()
    finally:
        await app.close()
    assert app.zalo[0].token_state == "refused: 401"
    assert status == 200 and health["tokens"] == {"zalo": "refused: 401"}
    assert health["quotas"][0]["token"] == "refused: 401"
    [line] = [r.getMessage() for r in caplog.records if "token was refused" in r.getMessage()]
    assert "Zalo bot 'main'" in line and "not-a-token" not in caplog.text
