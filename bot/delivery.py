"""The delivery worker: sends outbox rows after commit, retrying with bounded backoff.

Rows are leased, not held under a transaction while a messenger answers, so a slow send never
blocks the inbound path; a crash mid-send lets the lease lapse and the row is sent again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update

from bot.channels.base import Channel, OutboundMessage, SendResult
from bot.clock import Clock
from storage.models import ChannelIdentity
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=15)

    def delay(self, attempt: int) -> timedelta:
        return min(self.cap, self.base * (2 ** max(attempt - 1, 0)))


class DeliveryWorker:
    def __init__(
        self,
        uows: Callable[[], UnitOfWork],
        channels: Mapping[str, Channel],
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        batch: int = 50,
        lease: timedelta = timedelta(seconds=60),
    ) -> None:
        self.uows = uows
        self.channels = channels
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.batch = batch
        self.lease = lease
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> int:
        """Send what is due now; returns how many rows were handled."""
        async with self.uows() as uow:
            rows = list(await uow.outbox.claim(self.clock.now(), self.batch, self.lease))
            await uow.commit()
        held: set[tuple[str, str]] = set()  # chats with a failed message keep their order
        for row in rows:
            chat = (row.channel, row.address)
            channel = self.channels.get(row.channel)
            if chat in held or channel is None:
                await self._release(row.id)
                continue
            try:
                result = await channel.send(row.address, OutboundMessage.from_payload(row.payload))
            except Exception as exc:  # a broken adapter must not stop the worker
                log.exception("send of outbox %s failed", row.id)
                result = SendResult("failed", reason=type(exc).__name__)
            if result.status != "sent":
                held.add(chat)
            await self._record(row.id, row.identity_id, row.attempts, result)
        return len(rows)

    async def drain(self, rounds: int = 100) -> None:
        """Send until nothing is due (console chats and tests)."""
        for _ in range(rounds):
            if await self.run_once() == 0:
                return

    async def run_forever(self, poll_seconds: float = 1.0) -> None:
        while True:
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("delivery round failed")
                handled = 0
            if handled == 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), poll_seconds)
                except TimeoutError:
                    pass
                self._wake.clear()

    async def _release(self, message_id: int) -> None:
        async with self.uows() as uow:
            await uow.outbox.retry_at(message_id, self.clock.now(), "held")
            await uow.commit()

    async def _record(
        self, message_id: int, identity_id: int, attempts: int, result: SendResult
    ) -> None:
        now = self.clock.now()
        async with self.uows() as uow:
            if result.status == "sent":
                await uow.outbox.mark_sent(message_id, now)
            elif result.status == "retry":
                wait = timedelta(seconds=result.retry_after or 1)
                await uow.outbox.retry_at(message_id, now + wait, result.reason or "retry")
            elif result.status == "unreachable":
                await uow.outbox.dead_letter(message_id, result.reason or "unreachable")
                await uow.session.execute(
                    update(ChannelIdentity)
                    .where(ChannelIdentity.id == identity_id)
                    .values(unreachable_at=now)
                )
            elif attempts >= self.policy.max_attempts:
                await uow.outbox.dead_letter(message_id, result.reason or "failed")
            else:
                when = now + self.policy.delay(attempts)
                await uow.outbox.retry_at(message_id, when, result.reason or "failed")
            await uow.commit()
