"""Waiting between retries: exponential, capped, with jitter.

After an outage, every chat's retries (and several processes') would otherwise come back at
the same instants and meet the same overloaded peer together; a random share of each step
spreads them out ("equal jitter": between half the step and all of it).
"""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff(failures: int, cap: float, base: float = 0.5,
            jitter: Callable[[], float] = random.random) -> float:
    """Seconds to wait after ``failures`` failures in a row (1 for the first); ``jitter``
    gives 0..1 (tests pin it)."""
    step = min(cap, base * 2.0 ** min(max(failures, 1) - 1, 16))
    return float(step / 2 + step / 2 * jitter())
