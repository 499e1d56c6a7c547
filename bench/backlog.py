"""Delivery behind a national backlog (issue 23, point 5): 150,000 reminders queued at once
(a calendar step, a province-wide directive), sent by the real delivery worker through the
real Telegram adapter to the loopback Bot API peer that refuses past 30 a second; after 20
seconds an interactive reply is queued for another chat. For a window of 60 seconds: the
rate the peer accepted against the configured 25 a second, its 429s, how long the reply
waited from its commit to being marked sent, and the worker's CPU. SQLite and PostgreSQL.

    PYTHONPATH=. python -m bench.backlog [--queued N] [--window S]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import psutil
from sqlalchemy import insert, select

from bench.delivery import bot_api_peer
from bench.fakes import TOKEN
from bench.run import database
from bot.app import build_app
from bot.clock import SystemClock
from bot.config import Settings
from storage.database import create_engine
from storage.migrate import upgrade
from storage.models import ChannelIdentity, OutboxMessage, Person
from storage.repositories.outbox import PRIORITY

CHUNK = 10_000


async def queue(app: object, queued: int) -> None:
    uows = app.uows  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    for start in range(0, queued, CHUNK):
        rows = range(start, min(start + CHUNK, queued))
        async with uows() as uow:
            await uow.session.execute(insert(OutboxMessage), [
                {"channel": "telegram", "address": str(800_000_000 + n), "kind": "reminder",
                 "priority": PRIORITY["reminder"], "status": "pending", "attempts": 0,
                 "payload": {"text": "⏰ Nhắc nộp Báo cáo tháng 11/2026, hạn 05/12/2026."},
                 "next_attempt_at": now, "created_at": now} for n in rows])
            await uow.commit()


async def reply(app: object) -> datetime:
    uows = app.uows  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    async with uows() as uow:
        person = Person(display_name="chair", created_at=now)
        uow.session.add(person)
        await uow.session.flush()
        identity = ChannelIdentity(channel="telegram", external_id="7000", person_id=person.id,
                                   address="7000", display_name="chair", created_at=now)
        uow.session.add(identity)
        await uow.session.flush()
        await uow.outbox.enqueue(identity_id=identity.id, channel="telegram", address="7000",
                                 payload={"text": "Câu 2. Bao nhiêu người ngừng việc?"},
                                 now=now, kind="reply")
        await uow.commit()
    app.delivery.wake()  # type: ignore[attr-defined]  # as a chat's commit does
    return now


async def one(url: str, queued: int, window: float) -> dict[str, float]:
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    async with bot_api_peer() as base:
        app = build_app(Settings(database_url=url, _env_file=None,  # type: ignore[call-arg]
                                 telegram={"token": TOKEN, "api_base": base}),
                        clock=SystemClock())
        try:
            await queue(app, queued)
            rate = app.settings.telegram.overall_per_second
            process = psutil.Process()
            process.cpu_percent()
            worker = asyncio.create_task(app.delivery.run_forever(poll_seconds=0.2))
            started = time.monotonic()
            await asyncio.sleep(20)
            asked = await reply(app)
            await asyncio.sleep(max(window - (time.monotonic() - started), 0))
            cpu = process.cpu_percent()
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            async with aiohttp.ClientSession() as http, http.get(f"{base}/_stats") as r:
                stats = await r.json()
            async with app.uows() as uow:
                sent_at = await uow.session.scalar(select(OutboxMessage.sent_at).where(
                    OutboxMessage.address == "7000"))
        finally:
            await app.close()
    wait = (sent_at - asked).total_seconds() * 1000 if sent_at else float("nan")
    per_second = (stats["sent"] - 1) / stats["span"] if stats["span"] else 0.0
    return {"sent": stats["sent"], "per_second": per_second, "share": per_second / rate,
            "refused": stats["refused"], "reply_ms": wait, "cpu": cpu, "rate": rate}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queued", type=int, default=150_000)
    parser.add_argument("--window", type=float, default=60.0)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("sqlite", "postgres"):
            async with database(kind, Path(tmp)) as url:
                f = await one(url, args.queued, args.window)
            print(f"{kind}: {args.queued:,} queued, {args.window:g} s window, load "
                  f"{os.getloadavg()}: {f['sent']:.0f} accepted, {f['per_second']:.1f}/s "
                  f"({f['share']:.0%} of {f['rate']:g}/s), {f['refused']:.0f} refused with 429, "
                  f"the reply marked sent {f['reply_ms']:.0f} ms after its commit, "
                  f"worker process CPU {f['cpu']:.0f}%", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
