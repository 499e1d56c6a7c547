"""Send pacing per messenger: token buckets for the whole bot, each chat and each group.

Telegram allows about 30 messages a second per bot, about one a second per chat and 20 a
minute per group; a burst over that earns 429s and, repeated, a longer ban. The buckets here
hold a little inside those limits (``guard``) so that network jitter between our send and the
messenger's clock cannot push two messages into one window.

The bot-wide bucket is a priority gate: when messages queue for it, an alert or a reply goes
before a reminder or a digest already waiting, so a bulk send never delays a conversation.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Pacer(Protocol):
    """Monotonic time and sleep; injected so tests can run the buckets on virtual time."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class RealPacer:
    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class Limits(Protocol):
    async def acquire(self, address: str, priority: int = 1, *, per_chat: bool = True) -> None:
        """Wait until a message to ``address`` may leave, then count it as sent."""

    def pause(self, address: str, seconds: float) -> None:
        """The messenger asked us to wait (429 retry_after) before writing to this chat."""


class NoLimits:
    """For channels without limits (the console)."""

    async def acquire(self, address: str, priority: int = 1, *, per_chat: bool = True) -> None:
        return None

    def pause(self, address: str, seconds: float) -> None:
        return None


@dataclass(frozen=True)
class Rates:
    overall_per_second: float = 25.0
    chat_interval: float = 1.0
    group_per_minute: int = 20
    # Seconds added to every window; see the module docstring.
    guard: float = 0.03


class TokenBuckets:
    """The limits as buckets: per chat one message per interval, per group a minute's count,
    and for the whole bot at most ``overall_per_second`` in any window of one second (plus
    the guard), granted in priority order.

    The bot-wide limit is a sliding window, not a fixed spacing: a spacing measured from the
    moment each grant actually happened loses the event loop's lateness on every send (a
    busy loop turned 25/s into 18/s in the bulk test); the window catches up within the
    limit. Grants are still spread at least 80% of the even interval apart, so a backlog
    leaves as a steady stream, not as bursts."""

    def __init__(
        self,
        rates: Rates,
        is_group: Callable[[str], bool] = lambda address: False,
        pacer: Pacer | None = None,
    ) -> None:
        self.rates = rates
        self.is_group = is_group
        self.pacer = pacer or RealPacer()
        self._per_window = max(1, int(rates.overall_per_second))
        self._window = (1.0 + rates.guard) * self._per_window / rates.overall_per_second
        # 80% of the even spacing: room to catch up on the loop's lateness without bursts.
        self._spacing = 0.8 * self._window / self._per_window
        self._granted: deque[float] = deque()
        self._next_global = 0.0
        self._chat_next: dict[str, float] = {}
        self._chat_locks: dict[str, asyncio.Lock] = {}
        self._chat_users: dict[str, int] = {}
        self._sends = 0
        self._group_log: dict[str, deque[float]] = {}
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._pump: asyncio.Task[None] | None = None

    async def acquire(self, address: str, priority: int = 1, *, per_chat: bool = True) -> None:
        if not per_chat:
            await self._global_turn(priority)
            return
        # One sender per chat at a time, from its chat turn through the bot-wide gate; the
        # delivery worker keeps one lane per chat anyway, this makes it a property here.
        lock = self._chat_locks.setdefault(address, asyncio.Lock())
        self._chat_users[address] = self._chat_users.get(address, 0) + 1
        try:
            await self._chat_acquire(lock, address, priority)
        finally:
            self._chat_users[address] -= 1
            if self._chat_users[address] == 0:  # forget idle chats
                del self._chat_users[address], self._chat_locks[address]
        self._sends += 1
        if self._sends % 10_000 == 0:
            self._forget_past()

    async def _chat_acquire(self, lock: asyncio.Lock, address: str, priority: int) -> None:
        async with lock:
            await self._chat_turn(address)
            await self._global_turn(priority)
            sent = self.pacer.monotonic()
            gap = self.rates.chat_interval + self.rates.guard
            self._chat_next[address] = max(self._chat_next.get(address, 0.0), sent + gap)
            if self.is_group(address):
                log = self._group_log.setdefault(address, deque())
                log.append(sent)
                while len(log) > self.rates.group_per_minute:
                    log.popleft()

    def _forget_past(self) -> None:
        now = self.pacer.monotonic()
        for address in [a for a, t in self._chat_next.items() if t < now]:
            del self._chat_next[address]
        for address in [a for a, log in self._group_log.items() if log[-1] + 60.0 < now]:
            del self._group_log[address]

    def pause(self, address: str, seconds: float) -> None:
        until = self.pacer.monotonic() + seconds
        self._chat_next[address] = max(self._chat_next.get(address, 0.0), until)

    def ready_in(self, address: str) -> float:
        """Seconds until this chat may receive again (0 when it may now)."""
        now = self.pacer.monotonic()
        at = self._chat_next.get(address, 0.0)
        log = self._group_log.get(address)
        if log is not None and len(log) >= self.rates.group_per_minute:
            at = max(at, log[0] + 60.0 + self.rates.guard)
        return max(0.0, at - now)

    async def _chat_turn(self, address: str) -> None:
        while (wait := self.ready_in(address)) > 0:
            await self.pacer.sleep(wait)

    async def _global_turn(self, priority: int) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._seq), future))
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._run_pump())
        try:
            await future
        except asyncio.CancelledError:
            if not future.done():
                future.cancel()
            raise

    async def _run_pump(self) -> None:
        while self._waiters:
            now = self.pacer.monotonic()
            at = self._next_global
            if len(self._granted) >= self._per_window:
                at = max(at, self._granted[0] + self._window)
            if now < at:
                await self.pacer.sleep(at - now)
                continue
            _, _, future = heapq.heappop(self._waiters)
            if future.done():  # its sender was cancelled
                continue
            future.set_result(None)
            self._granted.append(now)
            if len(self._granted) > self._per_window:
                self._granted.popleft()
            self._next_global = now + self._spacing


def telegram_is_group(address: str) -> bool:
    """Telegram group and channel chat ids are negative."""
    return address.startswith("-")
