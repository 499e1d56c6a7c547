"""Conversation steps per second and step latency: our inbound path against two aiogram peers.

Every peer gets the same updates through aiogram's ``Dispatcher.feed_update`` with a fake
session that records sends. A step is one update, timed from feed to return (for us, to the
commit of its transaction, outbox row included). With ``chats`` concurrent chats each chat
files its reports one step after another, as a person does.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Update
from sqlalchemy import MetaData, event, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from bench.fakes import TOKEN, bench_bot
from bench.flow import STEPS, updates
from bench.peers import fsm
from bot.app import App, build_app
from bot.channels.telegram.channel import TelegramChannel
from bot.clock import SystemClock
from bot.config import Settings
from handlers.demo import seed_demo
from storage.database import create_engine
from storage.migrate import upgrade
from storage.models import Report

USER_BASE = 800_000_000


@dataclass(frozen=True)
class StepFigures:
    peer: str
    database: str
    chats: int
    steps: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int = 0

    @property
    def per_second(self) -> float:
        return self.steps / self.seconds


Feed = Callable[[Update], Awaitable[object]]


@dataclass
class _Run:
    seconds: float
    latencies: list[float]
    errors: int


async def _drive(feed: Feed, bot: Bot, chats: int, steps_per_chat: int) -> _Run:
    rounds = max(1, steps_per_chat // len(STEPS))
    plan = [updates(bot, USER_BASE + n, rounds) for n in range(chats)]
    latencies: list[float] = []
    errors = 0

    async def chat(items: list[Update]) -> None:
        nonlocal errors
        for update in items:
            started = time.perf_counter()
            try:
                await feed(update)
            except Exception:  # a peer that fails a step: counted, not timed
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(chat(items) for items in plan))
    return _Run(time.perf_counter() - started, latencies, errors)


def _figures(peer: str, database: str, chats: int, run: _Run) -> StepFigures:
    cuts = statistics.quantiles(run.latencies, n=100) if len(run.latencies) > 1 else [0.0] * 99
    median = statistics.median(run.latencies) if run.latencies else 0.0
    return StepFigures(peer, database, chats, len(run.latencies), run.seconds,
                       median * 1000, cuts[98] * 1000, run.errors)


async def run_memory(chats: int, steps_per_chat: int) -> StepFigures:
    bot, _ = bench_bot()
    dispatcher = fsm.build(MemoryStorage())

    async def feed(update: Update) -> object:
        return await dispatcher.feed_update(bot, update)

    run = await _drive(feed, bot, chats, steps_per_chat)
    return _figures("(a) aiogram FSM, MemoryStorage", "memory", chats, run)


async def run_sql_fsm(url: str, label: str, chats: int, steps_per_chat: int) -> StepFigures:
    from sqlalchemy_storage import SQLAlchemyStorage

    if url.startswith("sqlite"):
        # Not our tuned engine: the library opens a second session inside a write, which
        # BEGIN IMMEDIATE would deadlock. WAL and a busy timeout, as anyone would set.
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _wal(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")
    else:
        engine = create_engine(url)
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
        run = await _drive(feed, bot, chats, steps_per_chat)
    finally:
        await engine.dispose()
    return _figures("(b) aiogram FSM, aiogram-sqlalchemy-storage", label, chats, run)


async def ours(url: str, chats: int) -> tuple[App, TelegramChannel, Bot]:
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    bot, _ = bench_bot()
    settings = Settings(database_url=url, telegram={"token": TOKEN},
                        _env_file=None)  # type: ignore[call-arg]
    app = build_app(settings, clock=SystemClock(), telegram_bot=bot)
    assert app.telegram is not None
    channel = app.telegram
    now = app.clock.now()
    async with app.uows() as uow:
        await seed_demo(uow, now)
        unit = await uow.units.by_code("DEMO_CS1")
        assert unit is not None
        for n in range(chats):
            uid = str(USER_BASE + n)
            identity = await uow.identities.get_or_create("telegram", uid, uid, "B", now)
            await uow.memberships.add(identity.person_id, unit.id, "chair", None, now)
        await uow.commit()
    return app, channel, bot


async def run_ours(url: str, label: str, chats: int, steps_per_chat: int) -> StepFigures:
    app, channel, bot = await ours(url, chats)
    try:
        run = await _drive(channel.feed, bot, chats, steps_per_chat)
        async with app.uows() as uow:
            stored = await uow.session.scalar(select(func.count()).select_from(Report))
        assert stored == chats * max(1, steps_per_chat // len(STEPS)), stored
    finally:
        await app.close()
    return _figures("(c) tinhhinh, full inbound path", label, chats, run)
