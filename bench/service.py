"""Start-up time to ready and idle memory of the real ``tinhhinh run``, Telegram configured.

The command runs as a user would start it, polling ``bench.peers.bot_api`` on loopback (which
long-polls and answers the start-up calls). Ready is the moment it prints that it is running
(after the database check, the HTTP server, the menu and the first poll are under way); idle
RSS is read with psutil after it has sat idle, polling, for a few seconds.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.delivery import bot_api_peer
from bench.fakes import TOKEN

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class ServiceFigures:
    database: str
    starts: int
    ready_median_s: float
    ready_max_s: float
    idle_rss_mb: float  # of the last start, after idling


async def run_service(url: str, label: str, starts: int, idle_seconds: float) -> ServiceFigures:
    async with bot_api_peer() as base:
        env = {**os.environ, "TINHHINH_DATABASE_URL": url, "TINHHINH_TELEGRAM__TOKEN": TOKEN,
               "TINHHINH_TELEGRAM__API_BASE": base, "TINHHINH_HTTP__PORT": "0"}
        upgrade = await asyncio.create_subprocess_exec(
            str(BIN / "tinhhinh"), "db", "upgrade", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        assert await upgrade.wait() == 0
        readies: list[float] = []
        rss = 0.0
        for n in range(starts):
            started = time.perf_counter()
            process = await asyncio.create_subprocess_exec(
                str(BIN / "tinhhinh"), "run", env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            assert process.stderr is not None
            try:
                while True:
                    line = await asyncio.wait_for(process.stderr.readline(), 60)
                    if not line:
                        raise RuntimeError("tinhhinh run exited before it was ready")
                    if "tinhhinh" in line.decode() and "Ctrl+C" in line.decode():
                        break
                readies.append(time.perf_counter() - started)
                if n == starts - 1:
                    await asyncio.sleep(idle_seconds)
                    rss = psutil.Process(process.pid).memory_info().rss / 2**20
            finally:
                process.terminate()
                await process.wait()
    return ServiceFigures(label, starts, statistics.median(readies), max(readies), rss)
