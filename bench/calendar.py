"""The reporting calendar at scale: planning (opening the periods) and one reminder step for
150,000 grassroots units, each with an enrolled chair (DESIGN target: at most 10 s each).

Both run as the bot runs them (CalendarPlanner.plan and .on_step, one transaction each),
against a fresh, migrated database; the statement count shows the work is set-based.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select

from bench.org import grassroots
from bot.app import build_app
from bot.clock import ManualClock
from bot.config import Settings
from storage.migrate import upgrade
from storage.models import Fire, OutboxMessage, PeriodObligation

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
OPENS = datetime(2026, 10, 1, 7, 0, tzinfo=TZ)  # October, Q4 and the year 2026 are open
STEP_AT = datetime(2026, 10, 17, 8, 0, tzinfo=TZ)  # October's "3 days before" step


@dataclass(frozen=True)
class CalendarFigures:
    database: str
    units: int
    seed_s: float
    plan_s: float
    rows_opened: int
    plan_statements: int
    replan_s: float
    step_s: float
    reminders: int
    step_statements: int


async def run_calendar(url: str, label: str, districts: int, per_district: int
                       ) -> CalendarFigures:
    clock = ManualClock(OPENS)
    app = build_app(Settings(database_url=url, _env_file=None),  # type: ignore[call-arg]
                    clock=clock)
    assert app.calendar is not None
    count = [0]

    def seen(*_: Any) -> None:
        count[0] += 1

    try:
        await upgrade(app.db)
        started = time.perf_counter()
        units = await grassroots(app.uows, districts, per_district, OPENS)
        seed_s = time.perf_counter() - started
        event.listen(app.db.sync_engine, "before_cursor_execute", seen)

        count[0] = 0
        started = time.perf_counter()
        async with app.uows() as uow:
            opened = await app.calendar.plan(uow, OPENS)
            await uow.commit()
        plan_s, plan_statements = time.perf_counter() - started, count[0]

        started = time.perf_counter()  # the next day's plan: every row is there already
        async with app.uows() as uow:
            assert await app.calendar.plan(uow, OPENS.replace(day=2)) == 0
            await uow.commit()
        replan_s = time.perf_counter() - started

        async with app.uows() as uow:
            fire = await uow.session.scalar(select(Fire).where(
                Fire.target == "calendar:thang:2026-10:*:before_3"))
        assert fire is not None
        count[0] = 0
        started = time.perf_counter()
        async with app.uows() as uow:
            await app.calendar.on_step(uow, fire, STEP_AT)
            await uow.commit()
        step_s, step_statements = time.perf_counter() - started, count[0]
        async with app.uows() as uow:
            reminders = int(await uow.session.scalar(
                select(func.count()).select_from(OutboxMessage)
                .where(OutboxMessage.kind == "reminder")) or 0)
            rows = int(await uow.session.scalar(
                select(func.count()).select_from(PeriodObligation)) or 0)
        assert rows == opened == 3 * units and reminders == units
        return CalendarFigures(label, units, seed_s, plan_s, opened, plan_statements, replan_s,
                               step_s, reminders, step_statements)
    finally:
        await app.close()  # disposes the engine, and its statement listener with it
