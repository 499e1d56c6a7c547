"""A conversation step with 0, 100,000 and 1,000,000 reports stored, side by side.

Three databases are filled first (not timed): 1,000 CĐCS under 10 districts, the reports
scattered over the year before now (``bench.figures.seed_reports``, one in fifty with a hot
spot), and beside them what a year of such traffic leaves under the retention policy
(README, "What is kept"): processed events for the last 7 days and sent outbox rows for the
last 90 (a report is about eight steps, each an event and a reply: for 1,000,000 reports a
year, 153,000 events and 1,970,000 sent rows). Then, as in ``bench/interleaved.py``, short
slices go round the three in turn, the order rotated each round: one chat saturated (steps
per second) and 200 chats paced 0.5-1.5 s (latency). A ratio is taken within a round against
the empty database, reported as the median with its spread.

    PYTHONPATH=. python -m bench.sizes [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bench.figures import _series, analyze, seed_reports
from bench.interleaved import THINK, Peer, _cut, _slice, _spread
from bench.org import grassroots
from bench.run import database
from bench.steps import ours
from bot.app import App
from bot.service import freeze_startup_heap

SIZES = (0, 100_000, 1_000_000)
STEPS_PER_REPORT = 8
YEAR_MINUTES = 365 * 24 * 60


async def fill(app: App, reports: int) -> float:
    """The reports and what retention keeps beside them; returns seconds."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    await grassroots(app.uows, 10, 100, now)
    if not reports:
        return time.perf_counter() - started
    await seed_reports(app, reports, now, YEAR_MINUTES)
    postgres = app.db.dialect.name == "postgresql"
    events = reports * STEPS_PER_REPORT * 7 // 365
    sent = reports * STEPS_PER_REPORT * 90 // 365
    stamp = "CAST(:now AS timestamptz)" if postgres else ":now"
    obj = "jsonb_build_object" if postgres else "json_object"
    when = now if postgres else now.strftime("%Y-%m-%d %H:%M:%S.000000")
    async with app.uows() as uow:
        await uow.session.execute(text(
            f"INSERT INTO processed_event (channel, event_id, processed_at) "
            f"SELECT 'telegram', 'old' || s.i, {stamp} FROM ({_series(postgres)}) AS s"),
            {"n": events, "now": when})
        await uow.session.execute(text(
            f"INSERT INTO outbox_message (identity_id, channel, address, kind, priority, "
            f"payload, status, attempts, next_attempt_at, created_at, sent_at) "
            f"SELECT NULL, 'telegram', 'old' || (s.i % 1000), 'reply', 1, "
            f"{obj}('text', 'Câu ' || s.i), 'sent', 1, {stamp}, {stamp}, {stamp} "
            f"FROM ({_series(postgres)}) AS s"), {"n": sent, "now": when})
        await uow.commit()
    await analyze(app)
    return time.perf_counter() - started


@contextlib.asynccontextmanager
async def filled(kind: str, work: Path, chats: int) -> AsyncIterator[list[Peer]]:
    async with contextlib.AsyncExitStack() as stack:
        built = []
        for size in SIZES:
            url = await stack.enter_async_context(database(kind, work))
            app, channel, bot = await ours(url, chats)
            stack.push_async_callback(app.close)
            seconds = await fill(app, size)
            print(f"{kind}: {size:,} reports filled in {seconds:.0f} s", flush=True)
            built.append(Peer(f"{size:,} reports", kind, channel.feed, bot))
        yield built


async def run(kind: str, rounds: int, chats: int = 200) -> list[Peer]:
    with tempfile.TemporaryDirectory() as tmp:
        async with filled(kind, Path(tmp), chats) as built:
            freeze_startup_heap()
            for peer in built:
                await _slice(peer, 20, 1.0, None, 0)
            for r in range(rounds):
                for peer in built[r % 3:] + built[:r % 3]:
                    n, _ = await _slice(peer, 1, 2.0, None, r)
                    peer.saturated.setdefault(1, []).append(n / 2.0)
                    _, lat = await _slice(peer, chats, 8.0, THINK, r)
                    peer.p50.append(statistics.median(lat) * 1000)
                    peer.p99.append(_cut(lat, 99) * 1000)
                print(f"{kind} round {r + 1}/{rounds}", flush=True)
            return built


def report(kind: str, built: list[Peer]) -> str:
    empty = built[0]
    lines = []
    for peer in built:
        def ratio(mine: list[float], base: list[float]) -> str:
            return _spread([a / b for a, b in zip(mine, base, strict=False) if b], "{:.2f}x")
        lines.append(
            f"| {kind} | {peer.name} | {_spread(peer.saturated[1])} | "
            f"{ratio(peer.saturated[1], empty.saturated[1])} | {_spread(peer.p50, '{:.1f}')} | "
            f"{ratio(peer.p50, empty.p50)} | {_spread(peer.p99, '{:.1f}')} | "
            f"{ratio(peer.p99, empty.p99)} | {peer.errors} |")
    return "\n".join(lines)


async def main(rounds: int) -> None:
    out = ["| db | stored | 1 chat steps/s | vs empty | 200 chats p50 ms | vs empty | "
           "p99 ms | vs empty | errors |", "|---|---|---|---|---|---|---|---|---|"]
    for kind in ("sqlite", "postgres"):
        out.append(report(kind, await run(kind, rounds)))
    print("\n".join(out))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main(parser.parse_args().rounds))
