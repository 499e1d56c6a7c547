"""A province-wide directive to 1,000 CĐCS (issue 20, Show e): publishing it (ledger rows,
one message per chair, the reminder steps) and one reminder step, as the bot runs them
(Publishing.publish and DirectiveReminders.on_step, one transaction each), on a fresh,
migrated database. The statement count shows the work is set-based: it does not grow with
the number of units. Sending the queued messages is the delivery worker's, paced by the
messengers' token buckets (bench/delivery.py measures that pace).

    PYTHONPATH=. python -m bench.directives
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import String, cast, event, func, select, update

from bench.delivery import bot_api_peer
from bench.fakes import TOKEN
from bench.org import grassroots
from bench.run import database
from bot.app import build_app
from bot.clock import ManualClock
from bot.config import Settings
from handlers.directives.publishing import Actor, Written
from storage.migrate import upgrade
from storage.models import ChannelIdentity, Membership, OutboxMessage, Person

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=TZ)


async def one(url: str, districts: int, per_district: int) -> dict[str, float]:
    app = build_app(Settings(database_url=url, _env_file=None,  # type: ignore[call-arg]
                             http={"public_url": "https://tinhhinh.example.vn"}),
                    clock=ManualClock(NOW))
    assert app.directives is not None and app.fires is not None
    count = [0]

    def seen(*_: Any) -> None:
        count[0] += 1

    try:
        await upgrade(app.db)
        await grassroots(app.uows, districts, per_district, NOW)
        async with app.uows() as uow:
            root = await uow.units.by_code("TINH")
            assert root is not None
            person = Person(display_name="tinh", created_at=NOW)
            uow.session.add(person)
            await uow.session.flush()
            uow.session.add(Membership(person_id=person.id, unit_id=root.id, role="official",
                                       created_at=NOW))
            await uow.session.flush()
            actor = Actor(person.id, None, "bench")
            directive = await app.directives.publishing.write(uow, actor, root.id, Written(
                "Triển khai Nghị quyết", "Đề nghị quán triệt đến đoàn viên", date(2026, 12, 10),
                "disseminated"), NOW)
            await uow.commit()
        event.listen(app.db.sync_engine, "before_cursor_execute", seen)
        started = time.perf_counter()
        async with app.uows() as uow:
            units = await app.directives.publishing.publish(uow, actor, directive.id, NOW)
            await uow.commit()
        publish_s, publish_statements = time.perf_counter() - started, count[0]
        async with app.uows() as uow:
            queued = await uow.session.scalar(select(func.count()).select_from(OutboxMessage))
            fire = await uow.fires.due(datetime(2026, 12, 7, 8, 0, 1, tzinfo=TZ), 1)
        count[0] = 0
        started = time.perf_counter()
        async with app.uows() as uow:
            await app.fires.handlers["directive.step"](uow, fire[0], fire[0].due_at)
            await uow.commit()
        step_s, step_statements = time.perf_counter() - started, count[0]
        async with app.uows() as uow:
            reminders = await uow.session.scalar(
                select(func.count()).select_from(OutboxMessage)
                .where(OutboxMessage.kind == "reminder"))
        return {"units": units, "publish_s": publish_s, "publish_statements": publish_statements,
                "queued": int(queued or 0), "step_s": step_s,
                "step_statements": step_statements, "reminders": int(reminders or 0)}
    finally:
        await app.close()


async def paced(url: str, districts: int, per_district: int) -> dict[str, float]:
    """The published directive's messages leaving through the real delivery worker and the
    Telegram adapter, to the loopback Bot API peer that enforces Telegram's pace (429 past
    30 a second): the rate it accepted them at, and how many it refused."""
    async with bot_api_peer() as base:
        app = build_app(Settings(database_url=url, _env_file=None,  # type: ignore[call-arg]
                                 telegram={"token": TOKEN, "api_base": base},
                                 http={"public_url": "https://tinhhinh.example.vn"}),
                        clock=ManualClock(NOW))
        assert app.directives is not None
        try:
            await upgrade(app.db)
            await grassroots(app.uows, districts, per_district, NOW)
            async with app.uows() as uow:  # the chairs are on Telegram
                await uow.session.execute(
                    update(ChannelIdentity).values(
                        channel="telegram",
                        external_id=cast(ChannelIdentity.id + 900_000_000, String),
                        address=cast(ChannelIdentity.id + 900_000_000, String)))
                root = await uow.units.by_code("TINH")
                assert root is not None
                person = Person(display_name="tinh", created_at=NOW)
                uow.session.add(person)
                await uow.session.flush()
                uow.session.add(Membership(person_id=person.id, unit_id=root.id,
                                           role="official", created_at=NOW))
                await uow.session.flush()
                actor = Actor(person.id, None, "bench")
                directive = await app.directives.publishing.write(uow, actor, root.id, Written(
                    "Triển khai Nghị quyết", "Đề nghị quán triệt đến đoàn viên",
                    date(2026, 12, 10), "received"), NOW)
                units = await app.directives.publishing.publish(uow, actor, directive.id, NOW)
                await uow.commit()
            worker = asyncio.create_task(app.delivery.run_forever(poll_seconds=0.2))
            deadline = time.monotonic() + units / 10 + 60
            async with aiohttp.ClientSession() as http:
                while time.monotonic() < deadline:
                    async with http.get(f"{base}/_stats") as response:
                        stats = await response.json()
                    if stats["sent"] >= units:
                        break
                    await asyncio.sleep(0.25)
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        finally:
            await app.close()
    rate = (stats["sent"] - 1) / stats["span"] if stats["span"] else 0.0
    return {"units": units, "sent": stats["sent"], "refused": stats["refused"],
            "seconds": stats["span"], "rate": rate}


async def main(repeats: int = 3, districts: int = 20, per_district: int = 50) -> None:
    print(f"load average: {os.getloadavg()}")
    for kind in ("sqlite", "postgresql"):
        runs = []
        for _ in range(repeats):
            async with database(kind, Path(tempfile.mkdtemp())) as url:
                runs.append(await one(url, districts, per_district))
        first = runs[0]
        each = ", ".join(f"{r['publish_s'] * 1000:.0f}" for r in runs)
        print(f"{kind}: {first['units']} CĐCS; publish median "
              f"{statistics.median(r['publish_s'] for r in runs) * 1000:.0f} ms "
              f"(runs {each}), {first['publish_statements']} statements, {first['queued']} "
              f"messages queued; reminder step median "
              f"{statistics.median(r['step_s'] for r in runs) * 1000:.0f} ms, "
              f"{first['step_statements']} statements, {first['reminders']} reminders")
    for kind in ("sqlite", "postgresql"):
        async with database(kind, Path(tempfile.mkdtemp())) as url:
            figures = await paced(url, districts, per_district)
        print(f"{kind} delivery: {figures['sent']}/{figures['units']} accepted in "
              f"{figures['seconds']:.1f} s = {figures['rate']:.1f}/s (Telegram's 30/s, "
              f"configured 25/s), {figures['refused']} refused with 429")
    print(f"load average: {os.getloadavg()}")

if __name__ == "__main__":
    asyncio.run(main())
