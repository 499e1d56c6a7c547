"""A fire-poller process for the multi-process test: ``python -m tests.scheduler.fire_worker
URL WHEN START ROUNDS`` polls ROUNDS times at the clock time WHEN, beginning at the wall time
START (so two processes race), and prints how many fires it ran."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from asyncio.subprocess import PIPE
from datetime import datetime
from pathlib import Path

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


ROOT = Path(__file__).resolve().parents[2]


async def race(url: str, when: datetime, rounds: int, processes: int = 2) -> list[int]:
    """Start ``processes`` workers polling at ``when``, together; how many fires each ran."""
    root = ROOT
    start = time.time() + 3.0
    env = {**os.environ, "PYTHONPATH": str(root)}
    workers = [await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.scheduler.fire_worker", url, when.isoformat(), str(start),
        str(rounds), cwd=root, env=env, stdout=PIPE, stderr=PIPE) for _ in range(processes)]
    results = await asyncio.wait_for(asyncio.gather(*(w.communicate() for w in workers)), 120)
    assert [w.returncode for w in workers] == [0] * processes, [err for _, err in results]
    return [int(out.decode().strip().splitlines()[-1]) for out, _ in results]


if __name__ == "__main__":
    url, when, start, rounds = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    print(asyncio.run(main(url, when, start, rounds)))
