"""The delivery worker: sends outbox rows after commit, paced, in order per chat, with retries.

Rows are leased, not held under a transaction while a messenger answers, so a slow send never
blocks the inbound path; a crash mid-send lets the lease lapse and the row is sent again.

Each chat gets a lane: its messages leave one at a time, in order, and a failure holds the
rest of that chat's messages behind the failed one. Lanes of different chats run
concurrently, paced by the channel's token buckets (``bot.ratelimit``), so a bulk send of
reminders proceeds at the channel's rate while a reply still leaves at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.channels.base import Channel, OutboundMessage, SendResult
from bot.clock import Clock
from bot.quota import Spend
from bot.ratelimit import Limits, NoLimits
from storage.models import OutboxMessage
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# Called inside the transaction that records a refusal (403, chat not found).
RefusedHook = Callable[[UnitOfWork, int, datetime, str], Awaitable[None]]
# Queues an outbox row again for the person's other messenger; False when they have none.
RerouteHook = Callable[[UnitOfWork, int, datetime], Awaitable[bool]]


class Budget(Protocol):
    """A channel's monthly quota (bot.quota.MonthlyQuota)."""

    async def take(self, uow: UnitOfWork, spend: Spend, now: datetime) -> str | None: ...

    async def give_back(self, uow: UnitOfWork, parts: int, now: datetime) -> None: ...

    async def exhausted(self, uow: UnitOfWork, now: datetime) -> None: ...

    def resets_at(self, now: datetime) -> datetime: ...

Chat = tuple[str, str]


async def _no_reroute(uow: UnitOfWork, message_id: int, now: datetime) -> bool:
    return False


async def _mark_refused(uow: UnitOfWork, identity_id: int, now: datetime, reason: str) -> None:
    await uow.identities.mark_unreachable(identity_id, now)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=15)
    # A 429 asking us to wait this long or less is waited out in the lane; longer, the row
    # goes back to the table with its time.
    max_inline_wait: float = 30.0

    def delay(self, attempt: int) -> timedelta:
        return min(self.cap, self.base * (2 ** max(attempt - 1, 0)))


@dataclass(frozen=True)
class _Item:
    """A claimed row, detached from the session that claimed it."""

    id: int
    identity_id: int
    channel: str
    address: str
    kind: str
    priority: int
    attempts: int
    payload: dict[str, Any]

    @classmethod
    def of(cls, row: OutboxMessage) -> _Item:
        return cls(row.id, row.identity_id, row.channel, row.address, row.kind, row.priority,
                   row.attempts, dict(row.payload))

    @property
    def chat(self) -> Chat:
        return (self.channel, self.address)


class DeliveryWorker:
    def __init__(
        self,
        uows: Callable[[], UnitOfWork],
        channels: Mapping[str, Channel],
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        batch: int = 100,
        per_chat: int = 5,
        lease: timedelta = timedelta(minutes=2),
        on_refused: RefusedHook | None = None,
        reroute: RerouteHook | None = None,
        budgets: Mapping[str, Budget] | None = None,
    ) -> None:
        self.uows = uows
        self.channels = channels
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.batch = batch
        self.per_chat = per_chat
        self.lease = lease
        self.on_refused = on_refused or _mark_refused
        self.reroute = reroute or _no_reroute
        self.budgets = budgets if budgets is not None else {}
        self._wake = asyncio.Event()
        self._lanes: dict[Chat, deque[_Item]] = {}
        self._tasks: dict[Chat, asyncio.Task[None]] = {}
        self._starved = False

    def wake(self) -> None:
        self._wake.set()

    @property
    def in_flight(self) -> int:
        return sum(len(lane) for lane in self._lanes.values())

    # -- driving ------------------------------------------------------------------------
    async def run_once(self) -> int:
        """Claim what is due now and send it all; returns how many rows were claimed."""
        claimed = await self._claim()
        await self.join()
        return claimed

    async def drain(self, rounds: int = 100) -> None:
        """Send until nothing is due (console chats and tests)."""
        for _ in range(rounds):
            if await self.run_once() == 0:
                return

    async def join(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def run_forever(self, poll_seconds: float = 1.0) -> None:
        try:
            while True:
                self._wake.clear()
                try:
                    await self._claim()
                except Exception:
                    log.exception("delivery claim failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), poll_seconds)
        finally:
            await self._stop_lanes()

    async def _stop_lanes(self, grace: float = 5.0) -> None:
        """On shutdown: let sends in progress finish, hand the queued rest back unsent."""
        queued = [item for lane in self._lanes.values() for item in list(lane)[1:]]
        for lane in self._lanes.values():
            while len(lane) > 1:
                lane.pop()
        if self._tasks:
            await asyncio.wait(list(self._tasks.values()), timeout=grace)
        for task in self._tasks.values():
            task.cancel()
        with contextlib.suppress(Exception):
            await self._release(queued, self.clock.now(), "shutdown")

    # -- claiming -----------------------------------------------------------------------
    async def _claim(self) -> int:
        room = self.batch - self.in_flight
        self._starved = room <= 0
        if room <= 0:
            return 0
        now = self.clock.now()
        async with self.uows() as uow:
            rows = await uow.outbox.claim(now, room, self.lease, self.per_chat)
            items = [_Item.of(row) for row in rows]
            await uow.commit()
        self._starved = len(items) >= room
        overflow: list[_Item] = []
        orphans: list[_Item] = []
        for item in items:
            if item.channel not in self.channels:
                orphans.append(item)
                continue
            lane = self._lanes.setdefault(item.chat, deque())
            if len(lane) >= self.per_chat:
                overflow.append(item)  # one chat must not fill the batch; it comes back later
                continue
            lane.append(item)
            if item.chat not in self._tasks:
                self._tasks[item.chat] = asyncio.create_task(self._run_lane(item.chat))
        if overflow:
            # Due at once, so order holds; the next round takes them as the lane empties.
            await self._release(overflow, now, "chat busy")
        if orphans:
            await self._release(orphans, now + timedelta(minutes=1), "channel not running")
        return len(items)

    # -- one chat's lane ----------------------------------------------------------------
    async def _run_lane(self, chat: Chat) -> None:
        lane = self._lanes[chat]
        try:
            while lane:
                item = lane[0]
                result = await self._send(item)
                lane.popleft()
                rest: list[_Item] = []
                if result.status != "sent":  # the chat's later messages wait behind this one
                    rest = list(lane)
                    lane.clear()
                try:
                    await self._record(item, result, rest)
                except Exception:
                    # The lease lapses and the rows are claimed again; nothing is lost.
                    log.exception("recording delivery of outbox %s failed", item.id)
        except Exception:
            log.exception("delivery lane %s failed", chat[0])
        finally:
            self._tasks.pop(chat, None)
            if not lane:
                self._lanes.pop(chat, None)
            if self._starved:
                self._wake.set()

    async def _send(self, item: _Item) -> SendResult:
        channel = self.channels[item.channel]
        message = await self._with_file(OutboundMessage.from_payload(item.payload))
        budget = self.budgets.get(item.channel)
        if budget is None:
            return await self._send_paced(item, channel, message)
        parts_of = getattr(channel, "parts", None)
        parts = int(parts_of(message)) if parts_of is not None else 1
        async with self.uows() as uow:
            refusal = await budget.take(uow, Spend(item.identity_id, item.kind, parts),
                                        self.clock.now())
            await uow.commit()
        if refusal is not None:
            return SendResult("quota", reason=refusal)
        result = await self._send_paced(item, channel, message)
        if result.status != "sent":
            async with self.uows() as uow:
                await budget.give_back(uow, parts - int(result.extra.get("sent", 0)),
                                       self.clock.now())
                if result.status == "quota":
                    await budget.exhausted(uow, self.clock.now())
                await uow.commit()
            self._wake.set()  # a notice to the administrators may be waiting
        return result

    async def _with_file(self, message: OutboundMessage) -> OutboundMessage:
        """The message with its file's bytes loaded; without the file if it was dropped."""
        if message.file is None:
            return message
        async with self.uows() as uow:
            stored = await uow.files.get(message.file.file_id)
        if stored is None:
            log.warning("file %s of a message is gone; the text goes alone",
                        message.file.file_id)
            return replace(message, file=None)
        return replace(message, file=replace(message.file, data=stored.data))

    async def _send_paced(
        self, item: _Item, channel: Channel, message: OutboundMessage
    ) -> SendResult:
        limits: Limits = getattr(channel, "limits", None) or NoLimits()
        while True:
            await limits.acquire(item.address, item.priority)
            try:
                result = await channel.send(item.address, message)
            except Exception as exc:  # a broken adapter must not stop the worker
                log.exception("send of outbox %s failed", item.id)
                result = SendResult("failed", reason=type(exc).__name__)
            wait = result.retry_after or 1.0
            if result.status == "retry" and wait <= self.policy.max_inline_wait:
                # 429: the same message goes again once the messenger's wait is over.
                log.warning("%s asked to wait %.1fs (outbox %s)", item.channel, wait, item.id)
                limits.pause(item.address, wait)
                continue
            return result

    async def _record(self, item: _Item, result: SendResult, rest: list[_Item]) -> None:
        now = self.clock.now()
        async with self.uows() as uow:
            if result.status == "sent":
                await uow.outbox.mark_sent(item.id, now)
            elif result.status == "retry":
                when = now + timedelta(seconds=result.retry_after or 1)
                await uow.outbox.retry_at(item.id, when, result.reason or "429", counted=False)
                await uow.outbox.release([r.id for r in rest], when, "held behind a retry")
            elif result.status == "quota":
                # Through the person's other messenger, or parked until the quota resets.
                if not await self.reroute(uow, item.id, now):
                    budget = self.budgets.get(item.channel)
                    until = budget.resets_at(now) if budget else now + timedelta(hours=1)
                    await uow.outbox.retry_at(item.id, until, result.reason or "quota",
                                              counted=False)
                await uow.outbox.release([r.id for r in rest], now, "after a quota refusal")
                self._wake.set()
            elif result.status == "unreachable":
                reason = result.reason or "unreachable"
                dead = [r.id for r in (item, *rest) if not await self.reroute(uow, r.id, now)]
                await uow.outbox.dead_letter_many(dead, reason)
                await self.on_refused(uow, item.identity_id, now, reason)
                self._wake.set()  # the refusal may have queued notices to officials
            elif item.attempts >= self.policy.max_attempts:
                await uow.outbox.dead_letter(item.id, result.reason or "failed")
                await uow.outbox.release([r.id for r in rest], now, "after a dead letter")
            else:
                when = now + self.policy.delay(item.attempts)
                await uow.outbox.retry_at(item.id, when, result.reason or "failed")
                await uow.outbox.release([r.id for r in rest], when, "held behind a retry")
            await uow.commit()
        if result.status != "sent":
            log.warning("outbox %s to %s: %s %s", item.id, item.channel, result.status,
                        result.reason)

    async def _release(self, items: list[_Item], when: datetime, reason: str) -> None:
        if not items:
            return
        async with self.uows() as uow:
            await uow.outbox.release([i.id for i in items], when, reason)
            await uow.commit()
