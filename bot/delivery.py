"""The delivery worker: sends outbox rows after commit, paced, in order per chat, with retries.

Rows are leased, not held under a transaction while a messenger answers, so a slow send never
blocks the inbound path. Leases are short and the living worker renews them for every row it
still holds, so a crashed worker's rows come back within seconds (one lease), not minutes; a
chat with a row out on a live lease gets nothing else, so the rows taken back go first and a
chat's messages keep their order across a crash. A row that was sent but could not be marked
sent (the database went away at that moment) is marked again until the mark holds, never sent
again by this worker; only a crash in that window can send it twice. Marks of sends that
finish together commit together (``bot.sent_marks``): one transaction, not one per message.

Each chat gets a lane: its messages leave one at a time, in order, and a failure holds the
rest of that chat's messages behind the failed one. Lanes of different chats run
concurrently, paced by the channel's token buckets (``bot.ratelimit``), so a bulk send of
reminders proceeds at the channel's rate while a reply still leaves at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from bot.backoff import backoff
from bot.channels.base import ChannelAdapter, OutboundMessage, SendResult
from bot.clock import Clock
from bot.quota import Budget, Refusal, Spend
from bot.sent_marks import SentMarks
from storage.models import OutboxMessage
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# Called inside the transaction that records a refusal (403, chat not found).
RefusedHook = Callable[[UnitOfWork, int, datetime, str], Awaitable[None]]
# Queues an outbox row again for the person's other messenger; False when they have none.
RerouteHook = Callable[[UnitOfWork, int, datetime], Awaitable[bool]]


Chat = tuple[str, str]


class LinkMaker(Protocol):
    """Makes a one-time sign-in link to ``path`` for an account (None: no web pages)."""

    async def __call__(self, uow: UnitOfWork, identity_id: int, path: str,
                       now: datetime) -> str | None: ...


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
    # How long a sent row's mark is retried while the database is unreachable.
    record_for: float = 600.0
    # 0..1; the delay is between half the exponential step and all of it.
    jitter: Callable[[], float] = random.random

    def delay(self, attempt: int) -> timedelta:
        """Exponential and capped, with jitter: after an outage the retries of many rows
        spread out instead of reaching the messenger together."""
        return timedelta(seconds=backoff(attempt, self.cap.total_seconds(),
                                         self.base.total_seconds(), self.jitter))


@dataclass(frozen=True)
class _Item:
    """A claimed row, detached from the session that claimed it."""

    id: int
    identity_id: int | None
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
        channels: Mapping[str, ChannelAdapter],
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        batch: int = 100,
        per_chat: int = 5,
        lease: timedelta = timedelta(seconds=9),
        on_refused: RefusedHook | None = None,
        reroute: RerouteHook | None = None,
        budgets: Mapping[str, Budget] | None = None,
        links: LinkMaker | None = None,
    ) -> None:
        self.uows = uows
        self.links = links
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
        # Rows this worker holds (in a lane, being sent, or sent and not yet marked): their
        # leases are renewed, and a claim that returns one of them again is ignored.
        self._held: set[int] = set()
        self.marks = SentMarks(uows)

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
        keeper = asyncio.create_task(self._keep_leases())
        try:
            while True:
                self._wake.clear()
                try:
                    await self._claim()
                except Exception:
                    log.exception("delivery claim failed")
                await self._nap(poll_seconds)
        finally:
            keeper.cancel()
            await self._stop_lanes()

    async def _keep_leases(self) -> None:
        """Renew the leases of held rows three times a lease, so only a dead worker's lapse."""
        every = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                await self.renew_leases()
            except Exception as exc:  # the database is away: the marks will catch up
                log.warning("delivery leases not renewed: %s", type(exc).__name__)

    async def renew_leases(self) -> int:
        held = sorted(self._held)
        if not held:
            return 0
        async with self.uows() as uow:
            renewed = await uow.outbox.renew(held, self.clock.now() + self.lease)
            await uow.commit()
        return renewed

    async def _nap(self, seconds: float) -> None:
        """Wait for a wake-up or the poll interval. ``asyncio.timeout``, not ``wait_for``: on
        Python 3.11 ``wait_for`` can swallow a cancel that lands as it times out, and the
        service then hangs on SIGTERM; ``timeout`` tells its own expiry from a cancel."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()

    async def _stop_lanes(self, grace: float = 2.0) -> None:
        """On shutdown: let sends in progress finish, hand the queued rest back unsent."""
        queued = [item for lane in self._lanes.values() for item in list(lane)[1:]]
        for lane in self._lanes.values():
            while len(lane) > 1:
                self._held.discard(lane.pop().id)
        if self._tasks:
            await asyncio.wait(list(self._tasks.values()), timeout=grace)
        for task in self._tasks.values():
            task.cancel()
        with contextlib.suppress(Exception):
            await self._release(queued, self.clock.now(), "shutdown")

    # -- claiming -----------------------------------------------------------------------
    async def _claim(self) -> int:
        room = self.batch - self.in_flight
        if room <= 0:
            return 0
        now = self.clock.now()
        async with self.uows() as uow:
            rows = await uow.outbox.claim(now, room, self.lease, self.per_chat)
            items = [_Item.of(row) for row in rows]
            await uow.commit()
        orphans: list[_Item] = []
        for item in items:
            if item.id in self._held:
                continue  # our own row whose lease lapsed (a stalled loop): already in a lane
            if item.channel not in self.channels:
                orphans.append(item)
                continue
            # At most per_chat of a chat per claim, and none while its lane holds any: a lane
            # never grows past per_chat, so one chat cannot fill the batch.
            lane = self._lanes.setdefault(item.chat, deque())
            lane.append(item)
            self._held.add(item.id)
            if item.chat not in self._tasks:
                self._tasks[item.chat] = asyncio.create_task(self._run_lane(item.chat))
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
                await self._record_until_done(item, result, rest)
        except Exception:
            log.exception("delivery lane %s failed", chat[0])
        finally:
            self._tasks.pop(chat, None)
            if not lane:
                self._lanes.pop(chat, None)
            # The chat's next rows (not claimable while this lane held it) can go now.
            self._wake.set()

    async def _record_until_done(self, item: _Item, result: SendResult,
                                 rest: list[_Item]) -> None:
        """Record the outcome, retrying while the database is unreachable: a message the
        messenger accepted must be marked sent, not sent again. Its lease is renewed all the
        while, so no other worker takes it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.policy.record_for
        failures = 0
        try:
            while True:
                try:
                    await self._record(item, result, rest)
                    return
                except Exception as exc:
                    if loop.time() >= deadline:
                        # Left to the lease: the row (and those behind it) are claimed again.
                        log.error("delivery of outbox %s not recorded: %s", item.id,
                                  type(exc).__name__)
                        return
                    failures += 1
                    wait = backoff(failures, 5.0, base=0.1)
                    log.warning("recording delivery of outbox %s failed (%s); again in %.1fs",
                                item.id, type(exc).__name__, wait)
                    await asyncio.sleep(wait)
        finally:
            self._held.discard(item.id)
            for r in rest:
                self._held.discard(r.id)

    async def _send(self, item: _Item) -> SendResult:
        channel = self.channels[item.channel]
        message = await self._with_file(item, OutboundMessage.from_payload(item.payload))
        message = await self._with_link(item, message)
        budget = self.budgets.get(item.channel)
        if budget is None:
            return await self._send_paced(item, channel, message)
        parts = channel.parts(message)
        async with self.uows() as uow:
            grant = await budget.take(uow, Spend(item.identity_id, item.kind, parts),
                                      self.clock.now())
            await uow.commit()
        if isinstance(grant, Refusal):
            status: Literal["quota", "dropped"] = "quota" if grant.until else "dropped"
            return SendResult(status, reason=grant.reason, extra={"until": grant.until})
        result = await self._send_paced(item, channel, message)
        if result.status == "sent" and not grant.probe:
            return result
        async with self.uows() as uow:
            now = self.clock.now()
            if result.status == "sent":
                await budget.went_through(uow, grant, now)
            else:
                await budget.give_back(uow, grant, parts - int(result.extra.get("sent", 0)),
                                       now)
            if result.status == "quota":
                result = replace(result, extra={**result.extra,
                                                "until": await budget.refused(uow, grant,
                                                                              now)})
            await uow.commit()
        self._wake.set()  # a notice to the administrators may be waiting
        return result

    async def _with_link(self, item: _Item, message: OutboundMessage) -> OutboundMessage:
        """A sign-in link made now, for the account the message goes to; without web pages
        (or without an account) the message goes without it."""
        link = message.link
        if link is None or link.url or not link.path:
            return message
        opens = self.channels[item.channel].capabilities.opens_links
        if self.links is None or item.identity_id is None or not opens:
            return replace(message, link=None)
        async with self.uows() as uow:
            url = await self.links(uow, item.identity_id, link.path, self.clock.now())
            await uow.commit()
        return replace(message, link=replace(link, url=url) if url else None)

    async def _with_file(self, item: _Item, message: OutboundMessage) -> OutboundMessage:
        """The message with its file's bytes loaded; without the file if it was dropped. A
        messenger that sends no files gets the file's web address instead, where it has one;
        one that does gets the file, not the address too."""
        if message.file_link is not None:
            if self.channels[item.channel].capabilities.files_out and message.file is not None:
                message = replace(message, file_link=None)
            else:
                message = replace(message, file=None)
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
        self, item: _Item, channel: ChannelAdapter, message: OutboundMessage
    ) -> SendResult:
        limits = channel.limits
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
        if result.status == "sent":  # committed with the other lanes' marks
            await self.marks.mark(item.id, now)
            return
        async with self.uows() as uow:
            if result.status == "retry":
                when = now + timedelta(seconds=result.retry_after or 1)
                await uow.outbox.retry_at(item.id, when, result.reason or "429", counted=False)
                await uow.outbox.release([r.id for r in rest], when, "held behind a retry")
            elif result.status == "quota":
                # Through the person's other messenger, or parked until the pause ends or the
                # month's budget starts again.
                if not await self.reroute(uow, item.id, now):
                    until = result.extra.get("until") or now + timedelta(hours=1)
                    await uow.outbox.retry_at(item.id, until, result.reason or "quota",
                                              counted=False)
                await uow.outbox.release([r.id for r in rest], now, "after a quota refusal")
                self._wake.set()
            elif result.status == "dropped":
                # Over a stranger's or a burst's bound: not sent, and not to be sent later.
                await uow.outbox.drop(item.id, result.reason or "dropped")
                await uow.outbox.release([r.id for r in rest], now, "after a dropped reply")
            elif result.status == "unreachable":
                reason = result.reason or "unreachable"
                dead = [r.id for r in (item, *rest) if not await self.reroute(uow, r.id, now)]
                await uow.outbox.dead_letter_many(dead, reason)
                if item.identity_id is not None:
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
        log.warning("outbox %s to %s: %s %s", item.id, item.channel, result.status,
                    result.reason)

    async def _release(self, items: list[_Item], when: datetime, reason: str) -> None:
        if not items:
            return
        for item in items:
            self._held.discard(item.id)
        async with self.uows() as uow:
            await uow.outbox.release([i.id for i in items], when, reason)
            await uow.commit()
