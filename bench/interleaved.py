"""The conversation peers measured side by side: short slices, alternating, in one run.

``bench/steps.py`` ran each peer for a minute, one after another; on this shared machine the
load moved between peers and the ratios with it (the PostgreSQL one-chat ratio swung from 0.84x
to 3.07x across three runs). Here every peer is built first, then the run goes round them in
short slices, the order rotated each round, so all peers share the machine's load; a ratio is
taken within a round (our slice over the peer's slice of the same round) and reported as the
median of the rounds with its spread.

Peers: (a) aiogram FSM with MemoryStorage, the non-durable ceiling; (b) the same with
aiogram-sqlalchemy-storage; (b') the same with a storage a careful developer would write (one
upsert per write on the same engine, ``bench/peers/sqlfsm.py``); (c) tinhhinh's full inbound
path. The step ends at the same point for all: no peer sends over a network inside its timed
step. The aiogram peers answer into a recording session (aiogram builds the request and
returns), and ours commits the reply to the outbox; delivering it is measured on its own
(``bench/delivery.py``, ``bench/backlog.py``: an interactive reply leaves 52-58 ms after its
commit).

A slice is saturated (every chat sends its next step the moment the last one returns: steps per
second) or paced (every chat waits 0.5-1.5 s after each step, as a person tapping answers:
latency from when the step was due). A chat starts a report only inside the slice and finishes
it after the slice ends (uncounted), so every slice starts at a report's first step.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Update
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bench.fakes import bench_bot
from bench.flow import STEPS, updates
from bench.peers import fsm
from bench.peers.sqlfsm import CarefulSQLStorage, plain_sqlite_engine, state_table
from bench.run import database
from bench.steps import USER_BASE, ours
from bot.service import freeze_startup_heap
from storage.database import create_engine

Feed = Callable[[Update], Awaitable[object]]
THINK = (0.5, 1.5)


@dataclass
class Peer:
    name: str
    database: str
    feed: Feed
    bot: Bot
    many_chats: bool = True  # measured with 200 chats too
    saturated: dict[int, list[float]] = field(default_factory=dict)  # chats -> steps/s a slice
    p50: list[float] = field(default_factory=list)  # ms, one per paced slice
    p99: list[float] = field(default_factory=list)
    errors: int = 0


@dataclass(frozen=True)
class Plan:
    one_chat_s: float = 2.0
    many_s: float = 3.0
    paced_s: float = 8.0
    chats: int = 200
    rounds: int = 5


async def _aiogram_peer(name: str, label: str, engine: AsyncEngine, careful: bool) -> Peer:
    metadata = MetaData()
    reports = fsm.report_table(metadata)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    if careful:
        storage: Any = CarefulSQLStorage(engine, state_table(metadata))
    else:
        from sqlalchemy_storage import SQLAlchemyStorage
        storage = SQLAlchemyStorage(sessions, metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    bot, _ = bench_bot()
    dispatcher = fsm.build(storage, sessions, reports)

    async def feed(update: Update) -> object:
        return await dispatcher.feed_update(bot, update)

    # aiogram-sqlalchemy-storage fails most steps on SQLite with 200 chats (its deferred
    # transactions upgrade to writes; "database is locked"): measured with one chat only.
    many = careful or label != "sqlite"
    return Peer(name, label, feed, bot, many_chats=many)


@contextlib.asynccontextmanager
async def peers(work: Path, chats: int) -> AsyncIterator[list[Peer]]:
    async with contextlib.AsyncExitStack() as stack:
        bot, _ = bench_bot()
        memory = fsm.build(MemoryStorage())

        async def feed_memory(update: Update) -> object:
            return await memory.feed_update(bot, update)

        built = [Peer("(a) MemoryStorage", "memory", feed_memory, bot)]
        for kind in ("sqlite", "postgres"):
            for name, careful in (("(b) aiogram-sqlalchemy-storage", False),
                                  ("(b') careful SQL storage", True)):
                url = await stack.enter_async_context(database(kind, work))
                engine = plain_sqlite_engine(url) if kind == "sqlite" else create_engine(url)
                stack.push_async_callback(engine.dispose)
                built.append(await _aiogram_peer(name, kind, engine, careful))
            url = await stack.enter_async_context(database(kind, work))
            app, channel, ours_bot = await ours(url, chats)
            stack.push_async_callback(app.close)
            built.append(Peer("(c) tinhhinh", kind, channel.feed, ours_bot))
        yield built


async def _slice(peer: Peer, chats: int, seconds: float, think: tuple[float, float] | None,
                 seed: int) -> tuple[int, list[float]]:
    """One slice: (steps finished inside it, latencies of those steps in seconds)."""
    rate = 2000 if think is None else 1.0 / think[0]
    reports = max(2, int(seconds * rate / chats / len(STEPS)) + 2)
    plan = [updates(peer.bot, USER_BASE + n, reports) for n in range(chats)]
    gc.collect()
    gc.freeze()  # the plan and the peers' state: no peer pays for walking them
    rng = random.Random(seed)
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds

    async def chat(items: list[Update]) -> None:
        due = time.perf_counter() + (rng.uniform(0, think[1]) if think else 0.0)
        for at in range(0, len(items), len(STEPS)):
            if (due if think else time.perf_counter()) > deadline:
                return
            for update in items[at:at + len(STEPS)]:
                if think:
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                else:
                    due = time.perf_counter()
                try:
                    await peer.feed(update)
                except Exception:
                    peer.errors += 1
                    continue
                done = time.perf_counter()
                if done <= deadline:
                    latencies.append(done - due)
                if think:
                    due = done + rng.uniform(*think)

    try:
        await asyncio.wait_for(asyncio.gather(*(chat(p) for p in plan)), seconds + 60)
    except TimeoutError:
        peer.errors += 1
    finally:
        gc.unfreeze()
    return len(latencies), latencies


def _cut(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else 0.0


async def run(plan: Plan) -> list[Peer]:
    with tempfile.TemporaryDirectory() as tmp:
        async with peers(Path(tmp), plan.chats) as built:
            freeze_startup_heap()
            for peer in built:  # warm-up: connections, prepared statements, caches
                await _slice(peer, min(plan.chats, 20), 1.0, None, 0)
            for r in range(plan.rounds):
                order = built[r % len(built):] + built[:r % len(built)]
                for peer in order:
                    n, _ = await _slice(peer, 1, plan.one_chat_s, None, r)
                    peer.saturated.setdefault(1, []).append(n / plan.one_chat_s)
                    if not peer.many_chats:
                        continue
                    n, _ = await _slice(peer, plan.chats, plan.many_s, None, r)
                    peer.saturated.setdefault(plan.chats, []).append(n / plan.many_s)
                    _, lat = await _slice(peer, plan.chats, plan.paced_s, THINK, r)
                    peer.p50.append(statistics.median(lat) * 1000 if lat else 0.0)
                    peer.p99.append(_cut(lat, 99) * 1000)
                print(f"round {r + 1}/{plan.rounds} done", flush=True)
            return built


def _spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    if not values:
        return "-"
    return (f"{fmt.format(statistics.median(values))} "
            f"({fmt.format(min(values))}-{fmt.format(max(values))})")


def _ratios(ours: list[float], theirs: list[float]) -> list[float]:
    return [a / b for a, b in zip(ours, theirs, strict=False) if b]


def report(built: list[Peer], chats: int) -> str:
    lines = ["| peer | db | chats | steps/s median (min-max) | paced p50 ms | paced p99 ms "
             "| errors |", "|---|---|---|---|---|---|---|"]
    for peer in built:
        for n in (1, chats):
            if n not in peer.saturated:
                continue
            paced = n == chats and peer.p50
            lines.append(f"| {peer.name} | {peer.database} | {n} | "
                         f"{_spread(peer.saturated[n])} | "
                         f"{_spread(peer.p50, '{:.1f}') if paced else ''} | "
                         f"{_spread(peer.p99, '{:.1f}') if paced else ''} | {peer.errors} |")
    memory = built[0]
    lines += ["", "| ratio, per round | db | chats | median (min-max) |", "|---|---|---|---|"]
    for kind in ("sqlite", "postgres"):
        mine = next(p for p in built if p.name.startswith("(c)") and p.database == kind)
        others = [p for p in built if p.database == kind and p.name.startswith("(b")]
        for n in (1, chats):
            for other in [*others, memory]:
                if n in other.saturated and n in mine.saturated:
                    ratio = _ratios(mine.saturated[n], other.saturated[n])
                    lines.append(f"| (c) / {other.name} | {kind} | {n} | "
                                 f"{_spread(ratio, '{:.2f}x')} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    plan = (Plan(1.0, 1.0, 3.0, 50, 2) if args.quick else Plan(rounds=args.rounds))
    built = asyncio.run(run(plan))
    print(report(built, plan.chats))


if __name__ == "__main__":
    main()
