"""The inbound path under database trouble: a dropped connection, another process's lock."""

from __future__ import annotations

import asyncio
import sqlite3

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.clock import ManualClock
from tests.conftest import RecordingChannel, make_app
from tests.helpers import event, say, seed


async def test_a_step_after_the_database_dropped_its_connections_is_applied_normally(
    pg_url: str, clock: ManualClock, channel: RecordingChannel
) -> None:
    app = make_app(pg_url, clock, channel)
    async with app.db.begin() as conn:  # empty the shared test database first
        await conn.execute(text(
            "TRUNCATE processed_event, outbox_message, fire, conversation, report, audit_log, "
            "membership, invite, channel_identity, person, org_unit, ref_counter "
            "RESTART IDENTITY CASCADE"
        ))
    await seed(app)
    await say(app, "demo", "/baocao")
    channel.clear()
    # What a server restart does to the pool: every connection it holds is cut.
    admin = create_async_engine(pg_url, poolclass=NullPool)
    async with admin.connect() as conn:
        cut = await conn.scalar(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ))
    await admin.dispose()
    assert cut >= 1
    handled = await app.inbound.handle(event("demo", "ngung viec"))
    await app.delivery.drain()
    assert handled.applied is True
    assert channel.texts("demo")[0].startswith("Câu 2. Bao nhiêu người ngừng việc?")
    await app.close()


async def test_a_write_lock_held_by_another_process_is_waited_out_without_blocking(
    sqlite_url: str, clock: ManualClock, channel: RecordingChannel
) -> None:
    app = make_app(sqlite_url, clock, channel)
    await seed(app)
    path = sqlite_url.split("///", 1)[1]
    other = sqlite3.connect(path, isolation_level=None)  # "another process": an import, say
    other.execute("BEGIN IMMEDIATE")
    step = asyncio.create_task(app.inbound.handle(event("demo", "/baocao")))
    ticks = 0
    for _ in range(20):  # the event loop keeps running while the step waits for the lock
        await asyncio.sleep(0.01)
        ticks += 1
    assert not step.done()
    other.execute("COMMIT")
    other.close()
    handled = await asyncio.wait_for(step, 5)
    await app.delivery.drain()
    assert handled.applied is True and ticks == 20
    assert "Câu 1" in channel.texts("demo")[-1]
    await app.close()


async def test_the_same_event_arriving_twice_at_once_is_applied_once(
    db_url: str, clock: ManualClock, channel: RecordingChannel
) -> None:
    app = make_app(db_url, clock, channel)
    await seed(app)
    await say(app, "demo", "/baocao")
    channel.clear()
    twice = event("demo", "ngung viec", event_id="twice-at-once")
    results = await asyncio.gather(app.inbound.handle(twice), app.inbound.handle(twice))
    await app.delivery.drain()
    assert sorted(r.applied for r in results) == [False, True]
    assert len(channel.texts("demo")) == 1
    assert channel.texts("demo")[0].startswith("Câu 2. Bao nhiêu người ngừng việc?")
    async with app.uows() as uow:
        seen = await uow.session.scalar(text(
            "SELECT count(*) FROM processed_event WHERE event_id = 'twice-at-once'"))
    assert seen == 1
    await app.close()


async def test_a_strangers_first_message_arriving_twice_is_applied_once(
    db_url: str, clock: ManualClock, channel: RecordingChannel
) -> None:
    """A stranger has no identity row yet, so on PostgreSQL the claim merged with the
    sender's load returns no row; whether this transaction took the event is asked apart."""
    app = make_app(db_url, clock, channel)
    await seed(app)
    at_once = event("stranger1", "xin chao", event_id="stranger-at-once")
    results = await asyncio.gather(app.inbound.handle(at_once), app.inbound.handle(at_once))
    again = await app.inbound.handle(event("stranger2", "xin chao", event_id="s2"))
    repeat = await app.inbound.handle(event("stranger2", "xin chao", event_id="s2"))
    await app.delivery.drain()
    assert sorted(r.applied for r in results) == [False, True]
    assert (again.applied, repeat.applied) == (True, False)
    assert len(channel.texts("stranger1")) == 1 and len(channel.texts("stranger2")) == 1
    async with app.uows() as uow:
        identities = await uow.session.scalar(text(
            "SELECT count(*) FROM channel_identity WHERE external_id LIKE 'stranger%'"))
    assert identities == 2
    await app.close()
