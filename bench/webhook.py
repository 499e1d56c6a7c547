"""Conversation steps through the real webhook HTTP path, as Telegram delivers them.

The bot runs as the service runs it in webhook mode: its aiohttp server on loopback, the
secret checked, each update parsed, applied and committed before the 200 goes back, the
delivery worker running (its sends go to aiogram's recording session, paced at Telegram's 30
a second, so the worker's claims and marks load the service as they would). The chats are
another process (their HTTP work does not share the server's loop or core), each posting its
chat's updates one after another on its own connection, as Telegram does with one chat's
updates. Paced: each chat waits 0.5-1.5 s after each answer (a person tapping answers);
latency is the webhook's answer time as Telegram would see it. Saturated: no wait, so the
service's steps per second.

    PYTHONPATH=. python -m bench.webhook
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.fakes import TOKEN, bench_bot
from bench.flow import STEPS
from bench.run import database
from bench.steps import USER_BASE, enrol_chairs
from bot.app import build_app
from bot.clock import SystemClock
from bot.config import Settings
from bot.service import freeze_startup_heap
from storage.migrate import upgrade

SECRET = "bench-webhook-secret-0123456789"
PATH = "/telegram/webhook"


@dataclass(frozen=True)
class WebhookFigures:
    database: str
    chats: int
    paced_steps: int
    p50_ms: float
    p99_ms: float
    saturated_per_s: float
    failed: int


def _update(update_id: int, user: int, text: str, command: bool) -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": text,
        "chat": {"id": user, "type": "private", "first_name": "B"},
        "from": {"id": user, "is_bot": False, "first_name": "B"},
        **({"entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]}
           if command else {}),
    }}


def _chats(url: str, chats: int, seconds: float, think: bool, first_id: int,
           queue: Any) -> None:
    """The load, in its own process: each chat files reports until ``seconds`` have passed
    (finishing the report it is in, uncounted past the end)."""
    ids = itertools.count(first_id)
    latencies: list[float] = []
    failed = 0

    async def chat(user: int, rng: random.Random, http: aiohttp.ClientSession,
                   deadline: float) -> None:
        nonlocal failed
        if think:
            await asyncio.sleep(rng.uniform(0, 1.5))
        while time.perf_counter() < deadline:
            for n, text in enumerate(STEPS):
                body = _update(next(ids), user, text, n == 0)
                started = time.perf_counter()
                async with http.post(url, json=body,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                    await r.read()
                    ok = r.status == 200
                done = time.perf_counter()
                if not ok:
                    failed += 1
                elif done <= deadline:
                    latencies.append(done - started)
                if think:
                    await asyncio.sleep(rng.uniform(0.5, 1.5))

    async def main() -> float:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as http:
            started = time.perf_counter()
            deadline = started + seconds
            await asyncio.gather(*(chat(USER_BASE + n, random.Random(n), http, deadline)
                                   for n in range(chats)))
            return min(time.perf_counter(), deadline) - started

    elapsed = asyncio.run(main())
    queue.put((latencies, failed, elapsed))


async def run_webhook(url: str, label: str, chats: int, paced_s: float,
                      saturated_s: float) -> WebhookFigures:
    bot, _ = bench_bot()
    settings = Settings(database_url=url, telegram={
        "token": TOKEN, "mode": "webhook", "webhook_url": "https://bot.example.org" + PATH,
        "webhook_secret": SECRET}, http={"host": "127.0.0.1", "port": 0},
        _env_file=None)  # type: ignore[call-arg]
    app = build_app(settings, clock=SystemClock(), telegram_bot=bot)
    await upgrade(app.db)
    await enrol_chairs(app, chats)
    port = await app.start_http()
    freeze_startup_heap()
    sending = asyncio.create_task(app.delivery.run_forever())
    context = multiprocessing.get_context("spawn")
    results = []
    try:
        target = f"http://127.0.0.1:{port}{PATH}"
        for n, (seconds, think) in enumerate(((5.0, False), (paced_s, True),
                                              (saturated_s, False))):
            queue = context.Queue()
            process = context.Process(target=_chats, args=(
                target, chats, seconds, think, 10**7 * (n + 1), queue))
            process.start()
            while queue.empty():
                if not process.is_alive() and queue.empty():
                    raise RuntimeError(f"the chats' process ended ({process.exitcode})")
                await asyncio.sleep(0.2)
            results.append(queue.get())
            await asyncio.to_thread(process.join, 30)
    finally:
        sending.cancel()
        await asyncio.gather(sending, return_exceptions=True)
        await app.http.stop()
        await app.close()
    _, (paced, failed_paced, _), (saturated, failed_sat, elapsed) = results
    cuts = statistics.quantiles(paced, n=100)
    return WebhookFigures(label, chats, len(paced), statistics.median(paced) * 1000,
                          cuts[98] * 1000, len(saturated) / elapsed, failed_paced + failed_sat)


async def main(quick: bool) -> None:
    paced, saturated = (10.0, 5.0) if quick else (40.0, 20.0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for chats in (50, 200):
            for kind in ("sqlite", "postgres"):
                async with database(kind, Path(tmp)) as url:
                    figures = await run_webhook(url, kind, chats, paced, saturated)
                    print(figures, flush=True)
                    rows.append(figures)
    print("| db | chats | paced steps | p50 ms | p99 ms | saturated steps/s | failed |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r.database} | {r.chats} | {r.paced_steps:,} | {r.p50_ms:.1f} | "
              f"{r.p99_ms:.1f} | {r.saturated_per_s:,.0f} | {r.failed} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
