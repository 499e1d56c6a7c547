"""The delivery claim against its backlog (issue 23, point 1): one claim of a batch (200 rows,
at most one per chat) with 1,000, 10,000 and 150,000 reminders queued, and with an
interactive reply queued last, on SQLite and PostgreSQL; beside it, in the same run, the
claim as it was before (every due row ranked by chat with row_number(), then limited). Each
claim is rolled back, so every run sees the same queue; medians of 20 runs with their spread.

    PYTHONPATH=. python -m bench.claim
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, func, insert, or_, select, text, tuple_, update

from bench.run import database
from storage.database import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import OutboxMessage
from storage.repositories.outbox import PRIORITY
from storage.uow import UnitOfWork, UnitOfWorkFactory

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
SIZES = (1_000, 10_000, 150_000)
RUNS = 20


def rows(start: int, count: int, kind: str = "reminder") -> list[dict[str, object]]:
    return [{"channel": "console", "address": f"{kind}{n}", "kind": kind,
             "priority": PRIORITY[kind], "payload": {"text": "Nhắc nộp báo cáo tháng 11"},
             "status": "pending", "attempts": 0, "next_attempt_at": NOW, "created_at": NOW}
            for n in range(start, start + count)]


async def ranked_claim(uow: UnitOfWork, now: datetime, limit: int, per_chat: int) -> list[int]:
    """The claim before issue 23: the due rows of every free chat ranked, then limited."""
    due = and_(OutboxMessage.next_attempt_at <= now, or_(
        OutboxMessage.status == "pending",
        and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now)))
    busy = select(OutboxMessage.channel, OutboxMessage.address).where(
        OutboxMessage.status == "sending", OutboxMessage.lease_until >= now)
    free = tuple_(OutboxMessage.channel, OutboxMessage.address).not_in(busy)
    rank = func.row_number().over(partition_by=(OutboxMessage.channel, OutboxMessage.address),
                                  order_by=(OutboxMessage.priority, OutboxMessage.id))
    ranked = select(OutboxMessage.id, OutboxMessage.priority, rank.label("rank")).where(
        due, free).subquery()
    ids = list((await uow.session.scalars(
        select(ranked.c.id).where(ranked.c.rank <= per_chat)
        .order_by(ranked.c.priority, ranked.c.id).limit(limit))).all())
    await uow.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids), due)
                              .values(status="sending"))
    return ids


async def timed(uows: UnitOfWorkFactory, claim: Callable[[UnitOfWork], Awaitable[object]]
                ) -> list[float]:
    times = []
    for _ in range(RUNS):
        async with uows() as uow:  # left without commit: rolled back
            started = time.perf_counter()
            await claim(uow)
            times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


async def one(url: str) -> list[tuple[int, float, float, float, bool, float, float, float]]:
    engine = create_engine(url)
    await upgrade(engine)
    uows = UnitOfWorkFactory(session_factory(engine))
    found = []
    queued = 0
    for size in SIZES:
        async with uows() as uow:
            for start in range(queued, size, 10_000):
                await uow.session.execute(insert(OutboxMessage),
                                          rows(start, min(10_000, size - start)))
            await uow.session.execute(insert(OutboxMessage), rows(size, 1, "reply"))
            await uow.session.execute(text("ANALYZE"))
            await uow.commit()
        queued = size
        async with uows() as uow:
            claimed = await uow.outbox.claim(NOW, 200, timedelta(seconds=60), per_chat=1)
            first_is_reply = claimed[0].kind == "reply"  # rolled back on leaving
        new = await timed(uows, lambda uow: uow.outbox.claim(NOW, 200, timedelta(seconds=60),
                                                             per_chat=1))
        old = await timed(uows, lambda uow: ranked_claim(uow, NOW, 200, 1))
        found.append((size, statistics.median(new), new[0], new[-1], first_is_reply,
                      statistics.median(old), old[0], old[-1]))
    await engine.dispose()
    return found


async def main() -> None:
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("sqlite", "postgres"):
            async with database(kind, Path(tmp)) as url:
                found = await one(url)
            print(f"{kind}: claim of 200 (one per chat), {RUNS} runs, load {os.getloadavg()}")
            for size, median, low, high, reply, before, b_low, b_high in found:
                print(f"  {size:>7,} queued: median {median:6.1f} ms (min {low:.1f}, "
                      f"max {high:.1f}), the reply first: {reply}; ranked claim (before) "
                      f"{before:7.1f} ms (min {b_low:.1f}, max {b_high:.1f})")


if __name__ == "__main__":
    asyncio.run(main())
