"""The delivery claim does not slow with its backlog (issue 23), on both databases: its one
read that could grow with the queue walks the send-order index and stops at its limit (the
database's own plan says so, with 20,000 reminders queued); an interactive reply still
overtakes the reminders; one chat's flood does not keep other chats out of a batch; a row a
dead worker held goes before that chat's later rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.dialects import postgresql, sqlite

from storage.database import create_engine
from storage.dialect import with_index_hints
from storage.models import OutboxMessage
from storage.repositories.outbox import PRIORITY, pending
from tests.conftest import START
from tests.storage.test_repositories import uows

BACKLOG = 20_000
LEASE = timedelta(seconds=60)


def row(chat: str, kind: str = "reminder", n: int = 0) -> dict[str, object]:
    return {"channel": "console", "address": chat, "kind": kind,
            "priority": PRIORITY[kind], "payload": {"text": f"{kind} {n}"},
            "status": "pending", "attempts": 0, "next_attempt_at": START, "created_at": START}


async def plan(db_url: str, stmt: Any, analyze: bool = True) -> str:
    """The database's plan for one of the claim's reads, as it would run now (with the
    planner's statistics, or on SQLite without: as most installs run, ANALYZE never run)."""
    engine = create_engine(db_url)
    postgres = db_url.startswith("postgresql")
    dialect = postgresql.dialect() if postgres else sqlite.dialect()  # type: ignore[no-untyped-call]
    sql = with_index_hints(str(stmt.compile(dialect=dialect,
                                            compile_kwargs={"literal_binds": True})))
    async with engine.connect() as conn:
        if analyze or postgres:
            await conn.execute(text("ANALYZE"))
        rows = (await conn.execute(text(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ")
                                        + sql))).all()
    await engine.dispose()
    return "\n".join(" ".join(str(c) for c in r) for r in rows)


async def test_the_claims_read_walks_the_send_order_index_and_stops_at_its_limit(
        db_url: str) -> None:
    factory, engine = uows(db_url)
    async with factory() as uow:
        for start in range(0, BACKLOG, 5000):
            await uow.session.execute(insert(OutboxMessage), [
                row(f"chat{n}", n=n) for n in range(start, start + 5000)])
        await uow.session.execute(insert(OutboxMessage), [
            row(f"person{n}", "reply", n) for n in range(5)])
        await uow.commit()
    for analyze in (False, True):
        found = await plan(db_url, pending(START, 200), analyze)
        assert "ix_outbox_send_order" in found, found
        assert "TEMP B-TREE" not in found and "Sort" not in found, found  # no sort
    if db_url.startswith("postgresql"):
        assert found.startswith("Limit"), found
    # The chats out on a lease are found through an index among the few rows being sent,
    # never by reading the queue (SQLite takes the lease's, PostgreSQL the status's).
    busy = await plan(db_url, select(OutboxMessage.channel, OutboxMessage.address).where(
        OutboxMessage.lease_until >= START, OutboxMessage.status == "sending"))
    assert "ix_outbox_lease" in busy or "ix_outbox_send_order" in busy, busy
    assert "Seq Scan" not in busy and "SCAN outbox_message" not in busy, busy
    async with factory() as uow:
        claimed = await uow.outbox.claim(START, 10, LEASE, per_chat=1)
        await uow.commit()
    # The replies queued after 20,000 reminders go first; then the oldest reminders.
    assert [m.kind for m in claimed] == ["reply"] * 5 + ["reminder"] * 5
    assert [m.address for m in claimed][5:] == [f"chat{n}" for n in range(5)]
    await engine.dispose()  # type: ignore[attr-defined]


async def test_one_chats_flood_leaves_room_for_the_others_and_a_lapsed_row_goes_first(
        db_url: str) -> None:
    factory, engine = uows(db_url)
    async with factory() as uow:
        await uow.session.execute(insert(OutboxMessage), [
            row("flood", n=n) for n in range(500)])
        await uow.session.execute(insert(OutboxMessage), [
            row(f"chat{n}", n=n) for n in range(5)])
        await uow.commit()
    async with factory() as uow:
        claimed = await uow.outbox.claim(START, 10, LEASE, per_chat=2)
        await uow.commit()
    chats = [m.address for m in claimed]
    assert chats.count("flood") == 2 and sorted(set(chats) - {"flood"}) == [
        f"chat{n}" for n in range(5)], chats
    # The worker that held them died: past the lease, the flood's first two go again first,
    # before its later rows.
    later = START + LEASE + timedelta(seconds=1)
    async with factory() as uow:
        again = await uow.outbox.claim(later, 3, LEASE, per_chat=3)
        await uow.commit()
    firsts = sorted(m.id for m in claimed if m.address == "flood")
    assert [m.id for m in again if m.address == "flood"][:2] == firsts
    assert [m.attempts for m in again if m.id in firsts] == [2, 2]
    async with factory() as uow:
        rest = await uow.outbox.claim(later, 10, LEASE, per_chat=3)
    # The other chats' lapsed rows are retaken; the flood, out on a live lease, waits.
    assert sorted(m.address for m in rest) == [f"chat{n}" for n in range(5)]
    await engine.dispose()  # type: ignore[attr-defined]
