"""Calendar reminders run once per (unit, period, step): across restarts, across two worker
processes on PostgreSQL, and in a bounded number of SQL statements however many units."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bench.org import grassroots
from bot.app import App
from bot.clock import ManualClock
from storage.models import Fire, OutboxMessage, PeriodObligation
from tests.conftest import RecordingChannel, make_app
from tests.handlers.test_calendar import chairs, local
from tests.scheduler.fire_worker import race
from tests.storage.test_obligations import Statements

ROOT = Path(__file__).resolve().parents[2]


async def reminder_rows(app: App) -> list[tuple[int, str]]:
    async with app.uows() as uow:
        rows = await uow.session.execute(
            select(OutboxMessage.identity_id, OutboxMessage.dedupe_key)
            .where(OutboxMessage.kind == "reminder").order_by(OutboxMessage.id))
        return [(int(i), str(k)) for i, k in rows.all()]


async def tick(app: App) -> int:
    fired = await app.fires.run_once()
    await app.delivery.drain()
    return fired


# -- c: no duplicate after a restart ------------------------------------------------------------
async def test_a_restart_sends_each_reminder_step_once(
    db_url: str, clock: ManualClock, channel: RecordingChannel
) -> None:
    clock.set(local(2026, 10, 1, 7, 0))
    first = make_app(db_url, clock, channel)
    try:
        await chairs(first)
        await first.start_timers()
        await tick(first)  # plans October: the steps wait in fire rows
    finally:
        await first.close()

    # Down from 07:00 on 1/10 until 08:30 on 17/10, past the "3 days before" step.
    for restart in range(3):
        clock.set(local(2026, 10, 17, 8, 30))
        app = make_app(db_url, clock, channel)
        try:
            await app.start_timers()  # plans again at once: nothing new to make
            for _ in range(3):
                await tick(app)
            rows = await reminder_rows(app)
            # One to each of the two chairs (CĐCS 1 and 2), whichever start ran the step.
            assert len(rows) == 2, (restart, rows)
            assert sorted(k.rsplit(":", 2)[0] for _, k in rows) == [
                "remind:thang:2026-10:before_3"] * 2
            async with app.uows() as uow:
                fire = await uow.session.scalar(select(Fire).where(
                    Fire.target == "calendar:thang:2026-10:*:before_3"))
                assert fire is not None and fire.status == "done"
                # Even a step run again by hand (a worker dying after sending, say) adds no
                # row: the outbox dedupe key names unit, period, step and account.
                assert app.calendar is not None
                await app.calendar.on_step(uow, fire, clock.now())
                await uow.commit()
            assert len(await reminder_rows(app)) == 2
        finally:
            await app.close()
    assert sorted(a for a, m in channel.sent if m.text.startswith("⏰")) == ["cs2", "demo"]


# -- c: two worker processes on one PostgreSQL database -------------------------------------------
async def test_two_worker_processes_on_postgres_remind_each_unit_once(
    pg_db_url: str, clock: ManualClock, channel: RecordingChannel
) -> None:
    app = make_app(pg_db_url, clock, channel)
    try:
        clock.set(local(2026, 10, 1, 7, 0))
        units = await grassroots(app.uows, 3, 100, clock.now())
        await app.start_timers()
        await tick(app)
        async with app.uows() as uow:
            owed = await uow.session.scalar(select(func.count()).select_from(PeriodObligation)
                                            .where(PeriodObligation.period == "2026-10"))
        assert owed == units == 300

        fired = await race(pg_db_url, local(2026, 10, 17, 8, 0), 3)
        print("fires run per process:", fired)
        # The day's plan, October's "3 days before" step, the weekly digest fire armed at
        # start-up (due Monday 05/10; no official here to send one to) and the retention
        # sweep armed at start-up, each in one process.
        assert sum(fired) == 4
        rows = await reminder_rows(app)
        assert len(rows) == units
        assert len({identity for identity, _ in rows}) == units  # one per chair
    finally:
        await app.close()


# -- d: a bounded number of statements, whatever the number of units ---------------------------
async def test_planning_and_reminding_cost_the_same_statements_for_100_or_2000_units(
    db_url: str, clock: ManualClock, channel: RecordingChannel
) -> None:
    app = make_app(db_url, clock, channel)
    assert app.calendar is not None
    statements = Statements(app.db)
    try:
        counts = []
        for day, districts in ((1, 1), (2, 20)):  # 100 CĐCS, then 1,900 more mid-period
            clock.set(local(2026, 10, day, 7, 0))
            await grassroots(app.uows, districts, 100, clock.now())
            statements.count, statements.on = 0, True
            async with app.uows() as uow:
                await app.calendar.plan(uow, clock.now())  # opens October for the new units
                await uow.commit()
            async with app.uows() as uow:  # October's "3 days before" step, run by hand
                fire = await uow.session.scalar(select(Fire).where(
                    Fire.target == "calendar:thang:2026-10:*:before_3"))
                assert fire is not None
                await app.calendar.on_step(uow, fire, local(2026, 10, 17, 8, 0))
                await uow.commit()
            statements.on = False
            counts.append(statements.count)
        print("statements for 100 and then 2,000 units:", counts)
        assert counts[0] == counts[1], counts  # not one per unit
        assert counts[1] <= 30, counts
        async with app.uows() as uow:
            owed = await uow.session.scalar(select(func.count()).select_from(PeriodObligation)
                                            .where(PeriodObligation.period == "2026-10"))
        assert owed == 2000
        assert len(await reminder_rows(app)) == 2000  # one reminder per chair, none twice
    finally:
        await app.close()
