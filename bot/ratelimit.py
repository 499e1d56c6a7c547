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
    """Token buckets (capacity one, so sends are evenly spaced) with a priority gate."""

    def __init__(
        self,
        rates: Rates,
        is_group: Callable[[str], bool] = lambda address: False,
        pacer: Pacer | None = None,
    ) -> None:
        self.rates = rates
        self.is_group = is_group
        self.pacer = pacer or RealPacer()
        self._interval = (1.0 + rates.guard) / rates.overall_per_second
        self._next_global = 0.0
        self._chat_next: dict[str, float] = {}
        self._group_log: dict[str, deque[float]] = {}
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._pump: asyncio.Task[None] | None = None

    async def acquire(self, address: str, priority: int = 1, *, per_chat: bool = True) -> None:
        if per_chat:
            await self._chat_turn(address)
        await self._global_turn(priority)
        if per_chat:
            sent = self.pacer.monotonic()
            gap = self.rates.chat_interval + self.rates.guard
            self._chat_next[address] = max(self._chat_next.get(address, 0.0), sent + gap)
            if self.is_group(address):
                log = self._group_log.setdefault(address, deque())
                log.append(sent)
                while len(log) > self.rates.group_per_minute:
                    log.popleft()

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
        # One lane per chat sends at a time (the delivery worker keeps it so); loop in case a
        # 429 pause arrives while we sleep.
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
            if now < self._next_global:
                await self.pacer.sleep(self._next_global - now)
                continue
            _, _, future = heapq.heappop(self._waiters)
            if future.done():  # its sender was cancelled
                continue
            future.set_result(None)
            self._next_global = now + self._interval


def telegram_is_group(address: str) -> bool:
    """Telegram group and channel chat ids are negative."""
    return address.startswith("-")
