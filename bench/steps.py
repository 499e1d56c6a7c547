"""Conversation steps per second and step latency: our inbound path against two aiogram peers.

Every peer gets the same updates through aiogram's ``Dispatcher.feed_update`` with a fake
session that records sends. A step is one update, from feed to return (for us, to the commit
of its transaction, outbox row included). Each peer first files one report per chat unmeasured
(connections, prepared statements, caches), then is measured twice:

- saturated: every chat sends its next step the moment the last one returns (a closed loop),
  which gives the most steps per second the peer sustains with that many chats;
- paced: every chat sends its next step a think time after the last one returned, 0.5 to 1.5 s
  (a person tapping answers as fast as the messenger shows them; Telegram itself delivers at
  most one message a second to a chat). Latency counts from when the step was due, so time a
  step spends waiting for a busy event loop counts against the peer.

With 200 chats in a closed loop, latency is mostly queueing (Little's law: 200 chats over N
steps per second), so step latency is judged on the paced run and throughput on the saturated.
"""

from __future__ import annotations

import asyncio
import gc
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import Bot
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Update
from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bench.fakes import TOKEN, bench_bot
from bench.flow import updates
from bench.peers import fsm
from bench.peers.sqlfsm import plain_sqlite_engine
from bot.app import App, build_app
from bot.channels.console import NAME as CONSOLE
from bot.channels.telegram.channel import TelegramChannel
from bot.clock import SystemClock
from bot.config import Settings
from bot.service import freeze_startup_heap
from handlers.people.demo import seed_demo
from storage.database import create_engine
from storage.migrate import upgrade
from storage.models import Report

USER_BASE = 800_000_000
THINK = (0.5, 1.5)  # seconds between a step's return and the chat's next step, paced runs


@dataclass(frozen=True)
class StepFigures:
    peer: str
    database: str
    chats: int
    steps: int  # saturated run
    seconds: float
    paced_steps: int
    p50_ms: float  # paced run
    p99_ms: float
    errors: int = 0  # all runs
    cut: bool = False  # a run stopped at its time limit

    @property
    def per_second(self) -> float:
        return self.steps / self.seconds


Feed = Callable[[Update], Awaitable[object]]


@dataclass
class _Run:
    seconds: float
    latencies: list[float]
    errors: int
    cut: bool  # stopped at the time limit


async def _drive(feed: Feed, plan: list[list[Update]], think: tuple[float, float] | None,
                 limit: float, seed: int = 7) -> _Run:
    """Feed every chat's updates; no chat starts a step after ``limit`` seconds (a peer that
    cannot keep up is measured on what it finished, not waited for)."""
    latencies: list[float] = []
    errors = 0
    cut: list[bool] = []
    rng = random.Random(seed)

    async def chat(items: list[Update]) -> None:
        nonlocal errors
        due = time.perf_counter()
        deadline = due + limit
        if think is not None:  # chats start spread over one think time, not all at once
            due += rng.uniform(0, think[1])
        for update in items:
            if think is not None:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            else:
                due = time.perf_counter()
            if due > deadline:
                cut.append(True)
                return
            try:
                await feed(update)
            except Exception:  # a peer that fails a step: counted, not timed
                errors += 1
                continue
            done = time.perf_counter()
            latencies.append(done - due)
            if think is not None:
                due = done + rng.uniform(*think)

    started = time.perf_counter()
    await asyncio.gather(*(chat(items) for items in plan))
    return _Run(time.perf_counter() - started, latencies, errors, bool(cut))


@dataclass(frozen=True)
class Load:
    chats: int
    saturated_reports: int  # per chat
    paced_reports: int
    limit: float = 60.0  # seconds, per run


async def _measure(peer: str, database: str, feed: Feed, bot: Bot, load: Load) -> StepFigures:
    """Warm up with one report per chat, then a saturated run, then a paced run."""

    def plan(reports: int) -> list[list[Update]]:
        return [updates(bot, USER_BASE + n, reports) for n in range(load.chats)]

    plans = plan(1), plan(load.saturated_reports), plan(load.paced_reports)
    # The updates are built before the runs and kept out of garbage collection, as the
    # service does with its start-up heap: a peer's steps should not pay for walking them.
    freeze_startup_heap()
    warm = await _drive(feed, plans[0], None, load.limit)
    saturated = await _drive(feed, plans[1], None, load.limit)
    paced = await _drive(feed, plans[2], THINK, load.limit)
    gc.unfreeze()
    cuts = (statistics.quantiles(paced.latencies, n=100) if len(paced.latencies) > 1
            else [0.0] * 99)
    median = statistics.median(paced.latencies) if paced.latencies else 0.0
    return StepFigures(peer, database, load.chats, len(saturated.latencies), saturated.seconds,
                       len(paced.latencies), median * 1000, cuts[98] * 1000,
                       warm.errors + saturated.errors + paced.errors,
                       warm.cut or saturated.cut or paced.cut)


async def run_memory(load: Load) -> StepFigures:
    bot, _ = bench_bot()
    dispatcher = fsm.build(MemoryStorage())

    async def feed(update: Update) -> object:
        return await dispatcher.feed_update(bot, update)

    return await _measure("(a) aiogram FSM, MemoryStorage", "memory", feed, bot, load)


async def run_sql_fsm(url: str, label: str, load: Load) -> StepFigures:
    from sqlalchemy_storage import SQLAlchemyStorage

    # Not our tuned engine on SQLite: the library opens a second session inside a write,
    # which BEGIN IMMEDIATE would deadlock.
    engine = plain_sqlite_engine(url) if url.startswith("sqlite") else create_engine(url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    metadata = MetaData()
    reports = fsm.report_table(metadata)
    storage = SQLAlchemyStorage(sessions, metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    bot, _ = bench_bot()
    dispatcher = fsm.build(storage, sessions, reports)

    async def feed(update: Update) -> object:
        return await dispatcher.feed_update(bot, update)

    try:
        return await _measure("(b) aiogram FSM, aiogram-sqlalchemy-storage", label, feed, bot,
                              load)
    finally:
        await engine.dispose()


async def ours(url: str, chats: int) -> tuple[App, TelegramChannel, Bot]:
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    bot, _ = bench_bot()
    settings = Settings(database_url=url, telegram={"token": TOKEN},
                        _env_file=None)  # type: ignore[call-arg]
    app = build_app(settings, clock=SystemClock(), telegram_bot=bot)
    assert app.telegram is not None
    await enrol_chairs(app, chats)
    return app, app.telegram, bot


async def enrol_chairs(app: App, chats: int) -> None:
    """The demo tree, and ``chats`` Telegram users as chairs of its first CĐCS."""
    now = app.clock.now()
    async with app.uows() as uow:
        await seed_demo(uow, now, channel=CONSOLE)
        unit = await uow.units.by_code("DEMO_CS1")
        assert unit is not None
        for n in range(chats):
            uid = str(USER_BASE + n)
            identity = await uow.identities.get_or_create("telegram", uid, uid, "B", now)
            await uow.memberships.add(identity.person_id, unit.id, "chair", None, now)
        await uow.commit()


async def run_ours(url: str, label: str, load: Load) -> StepFigures:
    app, channel, bot = await ours(url, load.chats)
    try:
        figures = await _measure("(c) tinhhinh, full inbound path", label, channel.feed, bot,
                                 load)
        async with app.uows() as uow:
            stored = await uow.session.scalar(select(func.count()).select_from(Report))
        # Every report of every run was stored: the figures are for work actually done.
        expected = load.chats * (1 + load.saturated_reports + load.paced_reports)
        assert figures.cut or stored == expected, (stored, expected)
    finally:
        await app.close()
    return figures
