"""Start-up time to ready and idle memory of the real ``tinhhinh run``, beside aiogram's floor.

Three processes, started in turn (interleaved, so they share the machine's load):

- the floor: ``python -c "import aiogram"`` (then it prints and waits): what any aiogram bot
  pays before its first line of its own;
- ``tinhhinh run`` with Telegram configured, polling ``bench.peers.bot_api`` on loopback (which
  long-polls and answers the start-up calls); ready is the line saying it is running (after
  the database check, the HTTP server, the menu and the first poll are under way);
- ``tinhhinh run`` without Telegram (the console channel, its input held open): no aiogram.

Idle RSS is read with psutil after the process has sat idle for a few seconds.
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
FLOOR = "import aiogram, sys; print('ready Ctrl+C', file=sys.stderr, flush=True); sys.stdin.read()"


@dataclass(frozen=True)
class ServiceFigures:
    database: str
    what: str
    starts: int
    ready_median_s: float
    ready_max_s: float
    idle_rss_mb: float  # of the last start, after idling


async def _start(argv: list[str], env: dict[str, str], idle: float | None) -> tuple[float, float]:
    """Seconds to the ready line; RSS in MB after ``idle`` seconds (0 if not asked)."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)  # the console channel's line is on stdout
    assert process.stdout is not None
    try:
        while True:
            line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
            if not line:
                raise RuntimeError(f"{argv[-1]} exited before it was ready")
            if "Ctrl+C" in line or "Ctrl+D" in line:
                break
        ready = time.perf_counter() - started
        rss = 0.0
        if idle is not None:
            await asyncio.sleep(idle)
            rss = psutil.Process(process.pid).memory_info().rss / 2**20
        return ready, rss
    finally:
        process.terminate()
        await process.wait()


async def run_service(url: str, label: str, starts: int,
                      idle_seconds: float) -> list[ServiceFigures]:
    async with bot_api_peer() as base:
        plain = {**os.environ, "TINHHINH_DATABASE_URL": url, "TINHHINH_HTTP__PORT": "0"}
        plain.pop("TINHHINH_TELEGRAM__TOKEN", None)
        telegram = {**plain, "TINHHINH_TELEGRAM__TOKEN": TOKEN,
                    "TINHHINH_TELEGRAM__API_BASE": base}
        upgrade = await asyncio.create_subprocess_exec(
            str(BIN / "tinhhinh"), "db", "upgrade", env=plain,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        assert await upgrade.wait() == 0
        kinds = {
            "import aiogram (floor)": ([sys.executable, "-c", FLOOR], plain),
            "tinhhinh run, Telegram": ([str(BIN / "tinhhinh"), "run"], telegram),
            "tinhhinh run, no Telegram": ([str(BIN / "tinhhinh"), "run"], plain),
        }
        readies: dict[str, list[float]] = {k: [] for k in kinds}
        rss: dict[str, float] = {}
        for n in range(starts):
            for what, (argv, env) in kinds.items():
                last = n == starts - 1
                ready, mb = await _start(argv, env, idle_seconds if last else None)
                readies[what].append(ready)
                if last:
                    rss[what] = mb
    return [ServiceFigures(label, what, starts, statistics.median(r), max(r), rss[what])
            for what, r in readies.items()]


async def main() -> None:
    import tempfile

    from bench.run import database

    print("| db | process | starts | ready median s | ready max s | idle RSS MB |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("sqlite", "postgres"):
            async with database(kind, Path(tmp)) as url:
                for f in await run_service(url, kind, 5, 10.0):
                    print(f"| {f.database} | {f.what} | {f.starts} | {f.ready_median_s:.2f} | "
                          f"{f.ready_max_s:.2f} | {f.idle_rss_mb:.0f} |", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
