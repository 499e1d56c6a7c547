"""The delivery worker with a scripted channel: order per chat, retries, dead letters."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import App
from bot.channels.base import SENT, OutboundMessage, Quiet, SendResult
from bot.clock import ManualClock
from bot.delivery import DeliveryWorker, RetryPolicy
from storage.models import OutboxMessage
from storage.repositories.outbox import Outbox


class ScriptedChannel(Quiet):
    """Answers each send with the next scripted result for that chat (then SENT)."""

    name = "scripted"

    def __init__(self, script: dict[str, list[SendResult]] | None = None) -> None:
        self.script: dict[str, list[SendResult]] = defaultdict(list, script or {})
        self.sent: list[tuple[str, str]] = []

    async def send(self, address: str, message: OutboundMessage) -> SendResult:
        result = self.script[address].pop(0) if self.script[address] else SENT
        if result.status == "sent":
            self.sent.append((address, message.text))
        return result


async def enqueue(app: App, items: Iterable[tuple[str, str]], channel: str = "scripted") -> None:
    async with app.uows() as uow:
        identity = await uow.identities.get_or_create(channel, "x", "x", "X", app.clock.now())
        for address, text in items:
            await uow.outbox.enqueue(identity_id=identity.id, channel=channel, address=address,
                                     payload={"text": text}, now=app.clock.now())
        await uow.commit()


async def rows(app: App) -> list[OutboxMessage]:
    async with app.uows() as uow:
        return list((await uow.session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.id))).all())


def worker(app: App, channel: ScriptedChannel, **kw: object) -> DeliveryWorker:
    return DeliveryWorker(app.uows, {"scripted": channel}, app.clock, **kw)  # type: ignore[arg-type]


async def test_failures_back_off_then_dead_letter_and_hold_only_their_chat(
    app: App, clock: ManualClock
) -> None:
    failed = SendResult("failed", reason="500 Internal Server Error")
    channel = ScriptedChannel({"a": [failed] * 3})
    policy = RetryPolicy(max_attempts=3, base=timedelta(seconds=2), jitter=lambda: 1.0)
    delivery = worker(app, channel, policy=policy)
    await enqueue(app, [("a", "a1"), ("a", "a2"), ("b", "b1")])
    await delivery.drain()
    assert channel.sent == [("b", "b1")]
    first = await rows(app)
    assert [(r.status, r.attempts) for r in first] == [("pending", 1), ("pending", 0),
                                                      ("sent", 1)]
    assert first[0].next_attempt_at == clock.now() + timedelta(seconds=2)
    assert first[1].next_attempt_at == first[0].next_attempt_at  # held behind, in order
    clock.advance(timedelta(seconds=2))
    await delivery.drain()
    assert (await rows(app))[0].next_attempt_at == clock.now() + timedelta(seconds=4)
    clock.advance(timedelta(seconds=4))
    await delivery.drain()
    dead, after = (await rows(app))[:2]
    assert (dead.status, dead.attempts, dead.last_error) == ("dead", 3,
                                                             "500 Internal Server Error")
    assert after.status == "sent" and channel.sent[-1] == ("a", "a2")


async def test_a_long_429_parks_the_message_without_using_an_attempt(
    app: App, clock: ManualClock
) -> None:
    channel = ScriptedChannel({"a": [SendResult("retry", retry_after=120, reason="429")]})
    delivery = worker(app, channel)
    await enqueue(app, [("a", "a1"), ("a", "a2")])
    await delivery.drain()
    parked, held = await rows(app)
    assert (parked.status, parked.attempts) == ("pending", 0)
    assert parked.next_attempt_at == clock.now() + timedelta(seconds=120)
    assert held.next_attempt_at == parked.next_attempt_at and channel.sent == []
    clock.advance(timedelta(seconds=120))
    await delivery.drain()
    assert channel.sent == [("a", "a1"), ("a", "a2")]


async def test_a_short_429_is_waited_out_and_the_same_message_goes_again(app: App) -> None:
    channel = ScriptedChannel({"a": [SendResult("retry", retry_after=0.05, reason="429")] * 2})
    delivery = worker(app, channel)
    await enqueue(app, [("a", "a1"), ("a", "a2")])
    await delivery.drain()
    assert channel.sent == [("a", "a1"), ("a", "a2")]
    assert [(r.status, r.attempts) for r in await rows(app)] == [("sent", 1), ("sent", 1)]


async def test_one_chat_cannot_fill_the_batch_and_its_order_holds(app: App) -> None:
    channel = ScriptedChannel()
    delivery = worker(app, channel, per_chat=2, batch=4)
    await enqueue(app, [("a", f"a{i}") for i in range(7)] + [("b", "b0")])
    await delivery.drain()
    assert [t for a, t in channel.sent if a == "a"] == [f"a{i}" for i in range(7)]
    assert ("b", "b0") in channel.sent[:3]  # b did not wait behind all of a
    assert all(r.attempts == 1 for r in await rows(app))


async def test_rows_of_a_channel_not_running_wait_without_using_attempts(
    app: App, clock: ManualClock
) -> None:
    delivery = worker(app, ScriptedChannel())
    await enqueue(app, [("z", "z1")], channel="zalo")
    await delivery.drain()
    [row] = await rows(app)
    assert (row.status, row.attempts) == ("pending", 0)
    assert row.next_attempt_at == clock.now() + timedelta(minutes=1)


class SlowChannel(ScriptedChannel):
    """Every send takes a moment, so sends to many chats finish together."""

    async def send(self, address: str, message: OutboundMessage) -> SendResult:
        await asyncio.sleep(0.01)
        return await super().send(address, message)


async def test_sends_finishing_together_are_marked_in_one_transaction(app: App) -> None:
    channel = SlowChannel()
    delivery = worker(app, channel, batch=40)
    await enqueue(app, [(f"c{i}", f"m{i}") for i in range(40)])
    await delivery.drain()
    stored = await rows(app)
    assert [r.status for r in stored] == ["sent"] * 40
    assert all(r.sent_at is not None and r.lease_until is None for r in stored)
    assert len(channel.sent) == 40
    # Forty marks, committed in a few transactions rather than forty.
    assert 1 <= delivery.marks.flushes <= 4


async def test_a_failed_group_of_marks_is_retried_and_nothing_is_sent_twice(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Outbox.mark_sent_many
    failures: list[int] = []

    async def fails_once(self: Outbox, marks: list[tuple[int, datetime]]) -> None:
        if not failures:
            failures.append(len(marks))
            raise ConnectionError("database away")
        await original(self, marks)

    monkeypatch.setattr(Outbox, "mark_sent_many", fails_once)
    channel = SlowChannel()
    delivery = worker(app, channel)
    await enqueue(app, [("a", "a1"), ("a", "a2"), ("b", "b1")])
    await delivery.drain()
    assert failures and failures[0] >= 1
    assert [r.status for r in await rows(app)] == ["sent"] * 3
    assert sorted(channel.sent) == [("a", "a1"), ("a", "a2"), ("b", "b1")]
