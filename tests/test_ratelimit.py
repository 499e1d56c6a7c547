"""The token buckets on virtual time: limits hold exactly, priorities jump the queue."""

from __future__ import annotations

import asyncio
import bisect
import heapq
import itertools

from bot.ratelimit import Rates, TokenBuckets, telegram_is_group


class VirtualTime:
    """Monotonic time that moves only when every task is waiting on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._seq), future))
        await future

    async def run(self, tasks: list[asyncio.Task[float]]) -> list[float]:
        while not all(t.done() for t in tasks):
            for _ in range(20):  # let everything runnable run
                await asyncio.sleep(0)
            if all(t.done() for t in tasks):
                break
            when, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, when)
            future.set_result(None)
        return [t.result() for t in tasks]


async def send_at(time: VirtualTime, buckets: TokenBuckets, address: str, priority: int = 1,
                  delay: float = 0.0) -> float:
    if delay:
        await time.sleep(delay)
    await buckets.acquire(address, priority)
    return time.now


def most_in_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    return max(bisect.bisect_left(times, t + window - 1e-9) - i for i, t in enumerate(times))


async def test_overall_rate_per_chat_interval_and_group_minute() -> None:
    time = VirtualTime()
    buckets = TokenBuckets(Rates(), telegram_is_group, pacer=time)
    tasks = [asyncio.create_task(send_at(time, buckets, str(1000 + n))) for n in range(200)]
    tasks += [asyncio.create_task(send_at(time, buckets, "42")) for _ in range(5)]
    tasks += [asyncio.create_task(send_at(time, buckets, "-100777")) for _ in range(22)]
    times = await time.run(tasks)
    assert most_in_window(times) <= 25
    same_chat = sorted(times[200:205])
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(same_chat))
    group = sorted(times[205:])
    assert most_in_window(group, 60.0) <= 20 and group[20] - group[0] >= 60.0
    # The bulk is not slowed below the limit: 227 sends need a little over 9 windows.
    assert max(times) < 12.0 or max(times) == group[-1]


async def test_a_reply_goes_before_queued_reminders() -> None:
    time = VirtualTime()
    buckets = TokenBuckets(Rates(), pacer=time)
    reminders = [asyncio.create_task(send_at(time, buckets, f"r{n}", priority=2))
                 for n in range(100)]
    reply = asyncio.create_task(send_at(time, buckets, "me", priority=1, delay=0.5))
    times = await time.run([*reminders, reply])
    before_reply = sum(t < times[-1] for t in times[:-1])
    assert before_reply <= 16  # what left in the first half second, and no more


async def test_a_pause_holds_only_that_chat() -> None:
    time = VirtualTime()
    buckets = TokenBuckets(Rates(), pacer=time)
    buckets.pause("7", 3.0)
    paused = asyncio.create_task(send_at(time, buckets, "7"))
    other = asyncio.create_task(send_at(time, buckets, "8"))
    sent_paused, sent_other = await time.run([paused, other])
    assert sent_paused >= 3.0 and sent_other < 0.1


async def test_configured_rate_is_used_nearly_in_full() -> None:
    time = VirtualTime()
    buckets = TokenBuckets(Rates(overall_per_second=30), pacer=time)
    times = await time.run([asyncio.create_task(send_at(time, buckets, str(n)))
                            for n in range(300)])
    rate = 300 / max(times)
    assert most_in_window(times) <= 30 and rate >= 0.95 * 30
