"""A fire-poller process for the multi-process test: ``python -m tests.scheduler.fire_worker
URL WHEN START ROUNDS`` polls ROUNDS times at the clock time WHEN, beginning at the wall time
START (so two processes race), and prints how many fires it ran."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime

from bot.clock import ManualClock
from tests.conftest import RecordingChannel, make_app


async def main(url: str, when: str, start: float, rounds: int) -> int:
    app = make_app(url, ManualClock(datetime.fromisoformat(when)), RecordingChannel())
    try:
        await asyncio.sleep(max(start - time.time(), 0))
        fired = 0
        for _ in range(rounds):
            fired += await app.fires.run_once()
        return fired
    finally:
        await app.close()


if __name__ == "__main__":
    url, when, start, rounds = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    print(asyncio.run(main(url, when, start, rounds)))
