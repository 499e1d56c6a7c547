"""Fixed-window counters for the web pages: per address and per person, in this process.

One process serves the pages (DESIGN.md: one aiohttp server), so counting here is exact for
it; a second process would count its own share, which still bounds a flood. The windows are
short, so memory holds only the last minute's keys.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Throttle:
    def __init__(self, limit: int, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._start = clock()
        self._counts: dict[str, int] = {}

    def allow(self, key: str) -> bool:
        """Count one request for ``key``; False once the window's limit is passed."""
        now = self.clock()
        if now - self._start >= self.window:
            self._start, self._counts = now, {}
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        return count <= self.limit
