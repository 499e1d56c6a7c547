"""Retention removes exactly what the policy says: old processed event ids and finished
outbox rows, in batches; never a row waiting to be sent or being sent, a recent event id
(the redelivery window), a report or an audit row."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from bot.app import App
from handlers.delivery.retention import SWEEP, RetentionPolicy, Sweeper
from storage.models import AuditLog, Fire, OutboxMessage, ProcessedEvent
from tests.helpers import NGUNG_VIEC, reports, say, seed

DAY = timedelta(days=1)


async def rows(app: App, model: type) -> int:
    async with app.uows() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def backdated(app: App) -> dict[str, int]:
    """Bookkeeping of several ages: event ids 1 and 10 days old; outbox rows sent 10 and 100
    days ago, dead and dropped 100 days ago, and one pending and one sending of 100 days."""
    now = app.clock.now()
    async with app.uows() as uow:
        for n, age in enumerate((DAY, 10 * DAY)):
            uow.session.add(ProcessedEvent(channel="console", event_id=f"old{n}",
                                           processed_at=now - age))
        ages = {"sent-10": ("sent", 10), "sent-100": ("sent", 100), "dead": ("dead", 100),
                "dropped": ("dropped", 100), "pending": ("pending", 100),
                "sending": ("sending", 100)}
        for key, (status, days) in ages.items():
            then = now - days * DAY
            await uow.outbox.enqueue(identity_id=None, channel="console", address="x",
                                     payload={"text": key}, now=then, dedupe_key=key)
            await uow.session.execute(update(OutboxMessage)
                                      .where(OutboxMessage.dedupe_key == key)
                                      .values(status=status,
                                              sent_at=then if status == "sent" else None))
        await uow.commit()
    return {k: v for k, v in ages.items()}  # type: ignore[misc]


async def kept(app: App) -> set[str]:
    async with app.uows() as uow:
        keys = await uow.session.scalars(select(OutboxMessage.dedupe_key))
        return {k for k in keys if k}


async def test_a_sweep_removes_exactly_what_the_policy_says(app: App) -> None:
    await seed(app)
    await say(app, "demo", *NGUNG_VIEC, "gui")  # a report, its audit rows, its event ids
    audit = await rows(app, AuditLog)
    recent = await kept(app)  # the report's own messages (its alert...): days from old
    await backdated(app)
    events_before = await rows(app, ProcessedEvent)
    async with app.uows() as uow:
        more = await Sweeper(RetentionPolicy()).sweep(uow, app.clock.now())
        await uow.commit()
    assert more is False
    assert await rows(app, ProcessedEvent) == events_before - 1  # only the 10-day-old id
    assert await kept(app) == {"sent-10", "pending", "sending"} | recent
    assert await rows(app, AuditLog) == audit and len(await reports(app)) == 1


async def test_a_backlog_goes_in_small_batches_and_the_sweep_comes_back_soon(app: App) -> None:
    await seed(app)
    await backdated(app)
    sweeper = Sweeper(RetentionPolicy(batch=2))
    async with app.uows() as uow:
        await uow.fires.schedule(SWEEP, "retention", app.clock.now(), app.clock.now(), {})
        await uow.commit()
    app.fires.handlers[SWEEP] = sweeper.on_sweep  # as the app wires it, with a small batch
    assert await app.fires.run_once() == 1
    assert len({"sent-100", "dead", "dropped"} & await kept(app)) == 1  # two of three gone
    async with app.uows() as uow:
        fire = await uow.session.scalar(select(Fire).where(Fire.kind == SWEEP))
    assert fire is not None and fire.due_at - app.clock.now() == timedelta(minutes=1)
    app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    assert await app.fires.run_once() == 1
    assert await kept(app) == {"sent-10", "pending", "sending"}
    async with app.uows() as uow:
        fire = await uow.session.scalar(select(Fire).where(Fire.kind == SWEEP))
    assert fire is not None and fire.due_at - app.clock.now() == timedelta(days=1)
