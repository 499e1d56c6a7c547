"""Delivery against the peer: 429 bursts, blocked users, and pacing under a bulk send.

Pacing is asserted from the times the peer recorded each call, not from our own clock.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict

from sqlalchemy import func, select

from bot.app import App
from storage.models import AuditLog, ChannelIdentity, OutboxMessage
from tests.e2e.conftest import running, telegram_app
from tests.e2e.peer import Peer, TgUser
from tests.helpers import invite, seed

CHAIR = TgUser(5301, "Sùng Seo Páo")
OFFICIAL = TgUser(6301, "Hoàng Thị Lan")


async def identity_of(app: App, user: TgUser) -> int:
    async with app.uows() as uow:
        identity = await uow.identities.get_or_create(
            "telegram", str(user.id), str(user.id), user.first_name, app.clock.now())
        await uow.commit()
        return identity.id


async def enqueue(app: App, rows: list[tuple[int, str, str]], kind: str = "reminder") -> None:
    async with app.uows() as uow:
        for identity_id, address, text in rows:
            await uow.outbox.enqueue(identity_id=identity_id, channel="telegram",
                                     address=address, payload={"text": text},
                                     now=app.clock.now(), kind=kind)
        await uow.commit()


async def outbox(app: App) -> list[OutboxMessage]:
    async with app.uows() as uow:
        return list((await uow.session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def test_a_burst_of_429s_is_delivered_after_retry_after_in_order_once(
    tg_app: App, peer: Peer
) -> None:
    identity = await identity_of(tg_app, CHAIR)
    await enqueue(tg_app, [(identity, str(CHAIR.id), f"Tin số {i}") for i in range(1, 6)])
    await peer.fault("sendMessage", 429, "Too Many Requests: retry after 1", count=3,
                     retry_after=1, chat_id=CHAIR.id)
    await tg_app.delivery.run_once()

    assert [m["text"] for m in await peer.chat(CHAIR.id)] == [f"Tin số {i}" for i in range(1, 6)]
    calls = await peer.calls("sendMessage")
    assert [c["status"] for c in calls] == [429, 429, 429, 200, 200, 200, 200, 200]
    assert [c["text"] for c in calls[:4]] == ["Tin số 1"] * 4  # the same message again
    for before, after in itertools.pairwise(calls[:4]):
        assert after["t"] - before["t"] >= 1000  # retry_after honoured
    rows = await outbox(tg_app)
    assert [r.status for r in rows] == ["sent"] * 5
    assert [r.attempts for r in rows] == [1] * 5  # a 429 is not a failed attempt


async def test_a_blocked_user_is_marked_unreachable_and_officials_get_a_notice(
    tg_app: App, peer: Peer
) -> None:
    await seed(tg_app)
    chair_code = await invite(tg_app, "DEMO_CS2")
    official_code = await invite(tg_app, "DEMO_HUYEN", role="official")
    async with running(tg_app):
        await peer.text(CHAIR, f"/start {chair_code}")
        await peer.text(OFFICIAL, f"/start {official_code}")
        await peer.wait_chat(CHAIR.id, lambda ms: bool(ms))
        await peer.wait_chat(OFFICIAL.id, lambda ms: bool(ms))
        await peer.fault("sendMessage", 403, "Forbidden: bot was blocked by the user",
                         chat_id=CHAIR.id, count=2)
        chair = await identity_of(tg_app, CHAIR)
        await enqueue(tg_app, [(chair, str(CHAIR.id), "Nhắc: sắp đến hạn báo cáo tháng")])
        tg_app.delivery.wake()
        notice = (await peer.wait_chat(
            OFFICIAL.id, lambda ms: "Không gửi được tin nhắn" in ms[-1]["text"]))[-1]
        assert notice["text"].startswith(
            "Không gửi được tin nhắn qua Telegram cho Sùng Seo Páo (chủ tịch CĐCS, "
            "CĐCS Trường THCS Bảo Nhai)")
        # A second refusal while still unreachable: no second notice.
        await enqueue(tg_app, [(chair, str(CHAIR.id), "Nhắc lần hai")])
        tg_app.delivery.wake()
        for _ in range(100):
            rows = await outbox(tg_app)
            if rows[-1].status == "dead":
                break
            await asyncio.sleep(0.05)

    rows = await outbox(tg_app)
    dead = [r for r in rows if r.status == "dead"]
    assert [r.payload["text"] for r in dead] == ["Nhắc: sắp đến hạn báo cáo tháng", "Nhắc lần hai"]
    assert all(r.last_error and r.last_error.startswith("403") for r in dead)
    notices = [r for r in rows if r.kind == "notice"]
    # The Telegram official got it; the demo's console official has it queued.
    assert sorted(r.channel for r in notices) == ["console", "telegram"]
    async with tg_app.uows() as uow:
        identity = await uow.session.get(ChannelIdentity, chair)
        assert identity is not None and identity.unreachable_at is not None
        assert await uow.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "identity.unreachable")) == 1

    # Writing to the bot again makes them reachable.
    seen = len(await peer.chat(CHAIR.id))
    async with running(tg_app):
        await peer.text(CHAIR, "/trogiup")
        await peer.wait_chat(CHAIR.id, lambda ms: len(ms) > seen and "/baocao" in ms[-1]["text"])
    async with tg_app.uows() as uow:
        identity = await uow.session.get(ChannelIdentity, chair)
        assert identity is not None and identity.unreachable_at is None


async def test_bulk_send_to_300_chats_keeps_telegram_limits(db_url: str, peer: Peer) -> None:
    app = telegram_app(db_url, peer)  # the shipped pace: 25/s overall, 1/s per chat
    await peer.strict()  # the peer refuses anything over 30/s, or a chat's second in a second
    try:
        async with app.uows() as uow:
            rows: list[tuple[int, str, str]] = []
            for n in range(300):
                uid = 700000 + n
                identity = await uow.identities.get_or_create(
                    "telegram", str(uid), str(uid), f"Người {n}", app.clock.now())
                rows.append((identity.id, str(uid), f"Nhắc báo cáo tháng {n}"))
            await uow.commit()
        # One chat also gets five more: its messages must keep a second apart.
        busy = rows[0]
        rows += [(busy[0], busy[1], f"Thêm {i}") for i in range(5)]
        await enqueue(app, rows)
        async with running(app, polling=False):
            app.delivery.wake()
            await asyncio.sleep(3)
            # A reply committed in the middle of the bulk goes ahead of the queued reminders.
            reply_to = await identity_of(app, CHAIR)
            before_reply = len(await peer.calls("sendMessage"))
            await enqueue(app, [(reply_to, str(CHAIR.id), "Trả lời")], kind="reply")
            app.delivery.wake()
            for _ in range(600):
                if all(r.status == "sent" for r in await outbox(app)):
                    break
                await asyncio.sleep(0.1)
        assert all(r.status == "sent" for r in await outbox(app))
    finally:
        await app.close()

    calls = await peer.calls("sendMessage")
    # The peer's own verdict: not one send over Telegram's pace, however loaded the machine.
    assert [c for c in calls if c["status"] == 429] == []
    assert len(calls) == 306
    assert len({(c["chat_id"], c["text"]) for c in calls}) == 306  # none lost, none doubled
    by_chat: dict[str, list[str]] = defaultdict(list)
    for c in calls:
        by_chat[c["chat_id"]].append(c["text"])
    assert by_chat[busy[1]] == ["Nhắc báo cáo tháng 0", *(f"Thêm {i}" for i in range(5))]
    times = [c["t"] for c in calls]
    # Over the whole run the bot keeps to its own 25/s (a slower machine only takes longer).
    assert max(times) - min(times) >= (len(times) - 25) / 25 * 1000.0
    order = [c["text"] for c in calls]
    # The reply went out with the batch being sent when it was committed (at most one claim
    # of 100 ahead of it), well before the reminders still queued.
    assert before_reply <= order.index("Trả lời") <= before_reply + 100 < len(order) - 100
