"""Each escalation step fires once: after a restart (through APScheduler, as `tinhhinh run`
starts it) and with several worker processes on one PostgreSQL database."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.app import App
from bot.clock import ManualClock
from bot.service import serve
from storage.models import Fire, IncidentEvent, OutboxMessage
from tests.conftest import RecordingChannel, make_app
from tests.e2e.peer import eventually
from tests.handlers.test_incidents import EMERGENCY, alerts, officials
from tests.helpers import NGUNG_VIEC_ANSWERS, say
from tests.scheduler.fire_worker import race

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ROOT = Path(__file__).resolve().parents[2]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


async def steps_alerted(app: App) -> list[int]:
    async with app.uows() as uow:
        events = (await uow.session.scalars(
            select(IncidentEvent).where(IncidentEvent.kind == "alerted")
            .order_by(IncidentEvent.id))).all()
        return [int(e.details["step"]) for e in events]


async def test_a_restart_between_scheduling_and_due_time_fires_each_step_once(
    db_url: str, clock: ManualClock, channel: RecordingChannel
) -> None:
    first = make_app(db_url, clock, channel)
    await officials(first)
    clock.set(local(2026, 11, 18, 2, 0))
    await say(first, "demo", *EMERGENCY)
    await first.close()  # the process stops with step 1 scheduled for 02:30

    # It comes back at 03:10: steps 1 (02:30) and 2 (03:00) are due, step 3 (03:30) is not.
    clock.set(local(2026, 11, 18, 3, 10))
    second = make_app(db_url, clock, channel, fire_poll_seconds=0.05,
                      http={"host": "127.0.0.1", "port": 0})
    stop = asyncio.Event()
    service = asyncio.create_task(serve(second, stop))
    try:
        await eventually(lambda: steps_alerted(second), lambda s: s == [0, 1, 2],
                         "steps 1 and 2 after the restart", within=20)
        assert second.scheduler is not None and second.scheduler.job_ids() == ["fires"]
        await asyncio.sleep(0.5)  # ten more polls change nothing
        assert await steps_alerted(second) == [0, 1, 2]
        await second.delivery.drain()
    finally:
        stop.set()
        await service
        await second.close()
    assert len(alerts(channel, "canbo")) == 3  # the first alert and two repeats
    assert len(alerts(channel, "tinh")) == 2  # brought in at step 1, repeated at step 2
    third = make_app(db_url, clock, channel)
    try:
        async with third.uows() as uow:
            fire = await uow.session.scalar(select(Fire).where(Fire.kind == "incident.step"))
            assert fire is not None and fire.status == "pending"
            assert fire.due_at == local(2026, 11, 18, 3, 30) and fire.payload == {"step": 3}
    finally:
        await third.close()


async def test_two_worker_processes_on_postgres_send_one_alert_per_step(
    pg_db_url: str, clock: ManualClock, channel: RecordingChannel
) -> None:
    app = make_app(pg_db_url, clock, channel)
    incidents = 30
    try:
        await officials(app)
        opened = local(2026, 11, 18, 2, 0)
        assert app.escalation is not None
        async with app.uows() as uow:
            unit = await uow.units.by_code("DEMO_CS1")
            chair = await uow.identities.get_or_create("console", "demo", "demo", "demo", opened)
            assert unit is not None
            for i in range(incidents):
                report = await uow.reports.add(
                    ref=f"BC-2026-{i + 1:06d}", unit_id=unit.id, person_id=chair.person_id,
                    identity_id=chair.id, form_id="bao_cao_nhanh", form_version=1,
                    period="2026-11", category="ngung_viec", severity="khan_cap",
                    answers=NGUNG_VIEC_ANSWERS, submitted_at=opened)
                incident = await uow.incidents.open(
                    report_id=report.id, unit_id=unit.id, severity="khan_cap",
                    rules=["ngung_viec"], ladder=app.policy.ladders["khan_cap"].to_dict(),
                    first_alert_at=opened, now=opened)
                await app.escalation.start(uow, incident, opened)
            await uow.commit()
        assert await steps_alerted(app) == [0] * incidents

        # Two processes poll at 02:31, when step 1 of every incident is due.
        fired = await race(pg_db_url, opened + timedelta(minutes=31), 3)
        assert sum(fired) == incidents  # each step-1 fire ran in exactly one process
        print("fires run per process:", fired)
        assert sorted(await steps_alerted(app)) == [0] * incidents + [1] * incidents
        async with app.uows() as uow:
            step1 = await uow.session.scalar(
                select(func.count()).select_from(OutboxMessage)
                .where(OutboxMessage.kind == "alert",
                       OutboxMessage.dedupe_key.like("alert:%:1:%")))
        # Step 1: the district again and the province for the first time, per incident.
        assert step1 == incidents * 2
    finally:
        await app.close()
