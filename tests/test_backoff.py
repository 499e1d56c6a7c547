"""Retries back off exponentially, capped, with jitter (bot/backoff.py, bot/delivery.py)."""

from __future__ import annotations

from datetime import timedelta

from bot.backoff import backoff
from bot.delivery import RetryPolicy


def test_backoff_doubles_up_to_the_cap_and_spreads_within_each_step() -> None:
    for failures, step in ((1, 0.5), (2, 1.0), (3, 2.0), (7, 30.0), (50, 30.0)):
        waits = [backoff(failures, 30.0) for _ in range(200)]
        assert all(step / 2 <= w <= step for w in waits)
        assert max(waits) - min(waits) > step / 4  # spread out, not one instant for all


def test_delivery_retries_spread_between_half_and_the_whole_step() -> None:
    lowest = RetryPolicy(jitter=lambda: 0.0)
    highest = RetryPolicy(jitter=lambda: 1.0)
    assert [lowest.delay(n) for n in (1, 2, 3)] == [timedelta(seconds=s) for s in (1, 2, 4)]
    assert [highest.delay(n) for n in (1, 2, 3)] == [timedelta(seconds=s) for s in (2, 4, 8)]
    assert highest.delay(20) == timedelta(minutes=15)  # capped
