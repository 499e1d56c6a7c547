"""Run the benchmarks and print their table (``make bench``). Never a test: figures only.

    python -m bench.run [--quick] [--only steps]

PostgreSQL is the server at TINHHINH_BENCH_PG (default the local one, trust auth); each run
creates and drops its own database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bench import calendar, delivery, figures, service, web
from bot.service import freeze_startup_heap

PG_ADMIN = os.environ.get("TINHHINH_BENCH_PG",
                          "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


@contextlib.asynccontextmanager
async def database(kind: str, workdir: Path) -> AsyncIterator[str]:
    """A new, empty database for one run."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / (uuid.uuid4().hex + '.db')}"
        return
    name = f"tinhhinh_bench_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def step_table(quick: bool) -> str:
    """The conversation peers interleaved (bench/interleaved.py): its markdown tables."""
    from bench import interleaved

    plan = interleaved.Plan(1.0, 1.0, 3.0, 50, 2) if quick else interleaved.Plan()
    return interleaved.report(await interleaved.run(plan), plan.chats)


async def delivery_table(quick: bool) -> list[delivery.DeliveryFigures]:
    chats, per_chat = (100, 3) if quick else (300, 3)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("sqlite", "postgres"):
            async with database(kind, Path(tmp)) as url:
                results.append(await delivery.run_delivery(url, kind, chats, per_chat))
    return results


def print_delivery(console: Console, results: list[delivery.DeliveryFigures]) -> None:
    table = Table(title=f"Delivery to a peer enforcing {delivery.CONFIGURED:.0f} msg/s overall "
                        "and 1/s per chat (configured: 30 msg/s)")
    for column in ("db", "messages", "chats", "accepted", "429s", "seconds", "msg/s",
                   "of configured"):
        table.add_column(column, justify="left" if column == "db" else "right")
    for r in results:
        table.add_row(r.database, str(r.messages), str(r.chats), str(r.accepted),
                      str(r.refused_429), f"{r.seconds:.1f}", f"{r.per_second:.2f}",
                      f"{r.per_second / delivery.CONFIGURED:.1%}")
    console.print(table)


async def service_table(quick: bool) -> list[service.ServiceFigures]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("sqlite", "postgres"):
            async with database(kind, Path(tmp)) as url:
                results += await service.run_service(url, kind, 3 if quick else 5,
                                                     idle_seconds=5 if quick else 15)
    return results


def print_service(console: Console, results: list[service.ServiceFigures]) -> None:
    table = Table(title="`tinhhinh run` with and without Telegram (polling the loopback peer), "
                        "beside `import aiogram`")
    for column in ("db", "process", "starts", "ready median s", "ready max s", "idle RSS MB"):
        table.add_column(column, justify="left" if column in ("db", "process") else "right")
    for r in results:
        table.add_row(r.database, r.what, str(r.starts), f"{r.ready_median_s:.2f}",
                      f"{r.ready_max_s:.2f}", f"{r.idle_rss_mb:.0f}")
    console.print(table)


async def calendar_table(quick: bool) -> list[calendar.CalendarFigures]:
    districts, per_district = (30, 1000) if quick else (150, 1000)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("sqlite", "postgres"):
            async with database(kind, Path(tmp)) as url:
                results.append(await calendar.run_calendar(url, kind, districts, per_district))
    return results


def print_calendar(console: Console, results: list[calendar.CalendarFigures]) -> None:
    table = Table(title="Reporting calendar: opening October, Q4 and 2026 for every CĐCS, and "
                        "one reminder step (target <= 10 s each)")
    for column in ("db", "units", "plan s", "rows opened", "statements", "re-plan s",
                   "step s", "reminders", "statements ", "seed s"):
        table.add_column(column, justify="left" if column == "db" else "right")
    for r in results:
        table.add_row(r.database, f"{r.units:,}", f"{r.plan_s:.2f}", f"{r.rows_opened:,}",
                      str(r.plan_statements), f"{r.replan_s:.2f}", f"{r.step_s:.2f}",
                      f"{r.reminders:,}", str(r.step_statements), f"{r.seed_s:.1f}")
    console.print(table)


async def digest_table(quick: bool) -> list[figures.DigestFigures]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("sqlite", "postgres"):
            async with database(kind, Path(tmp)) as url:
                results.append(await figures.run_digest(url, kind,
                                                        100_000 if quick else 1_000_000))
    return results


def print_digest(console: Console, results: list[figures.DigestFigures]) -> None:
    table = Table(title="Weekly digest of the province official (1,000 CĐCS); medians of "
                        f"{figures.RUNS} runs (target <= 2 s PostgreSQL, <= 5 s SQLite)")
    for column in ("db", "units", "reports", "incidents", "figures s", "digest s",
                   "district figures s", "seed s"):
        table.add_column(column, justify="left" if column == "db" else "right")
    for r in results:
        table.add_row(r.database, f"{r.units:,}", f"{r.reports:,}", f"{r.incidents:,}",
                      f"{r.figures_s:.2f}", f"{r.digest_s:.2f}", f"{r.district_s:.3f}",
                      f"{r.seed_s:.1f}")
    console.print(table)


async def export_table(quick: bool) -> list[figures.ExportFigures]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("sqlite", "postgres"):
            async with database(kind, Path(tmp)) as url:
                results.append(await figures.run_export(url, kind,
                                                        20_000 if quick else 100_000))
    return results


def print_export(console: Console, results: list[figures.ExportFigures]) -> None:
    table = Table(title="`tinhhinh export` of a month for the province, in its own process "
                        "(target <= 30 s, <= 300 MB peak RSS)")
    for column in ("db", "reports", "seconds", "peak RSS MB", "file MB"):
        table.add_column(column, justify="left" if column == "db" else "right")
    for r in results:
        table.add_row(r.database, f"{r.reports:,}", f"{r.seconds:.1f}", f"{r.peak_rss_mb:.0f}",
                      f"{r.size_mb:.1f}")
    console.print(table)


async def web_table(quick: bool) -> list[web.WebFigures]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("sqlite", "postgres"):
            for think in (1.0, 0.0):  # paced like people; then flat out, for throughput
                async with database(kind, Path(tmp)) as url:
                    results.append(await web.run_web(url, kind, 50, 2 if quick else 10,
                                                     Path(tmp), think))
    return results


def print_web(console: Console, results: list[web.WebFigures]) -> None:
    table = Table(title="The web form at 50 phones at once (another process): the form page "
                        "(GET), the page posted (to the card) and its submission (send); paced "
                        "0.5-1.5 s before each request, then flat out; goal p99 < 150 ms paced")
    for column in ("db", "pace", "phones", "rounds", "page p50 ms", "page p99 ms",
                   "save p50 ms", "save p99 ms", "send p50 ms", "send p99 ms", "reports/s",
                   "failed"):
        table.add_column(column, justify="left" if column == "db" else "right")
    for r in results:
        table.add_row(r.database, "paced" if r.think else "flat out", str(r.users),
                      str(r.rounds), f"{r.page_p50:.0f}", f"{r.page_p99:.0f}",
                      f"{r.save_p50:.0f}", f"{r.save_p99:.0f}", f"{r.submit_p50:.0f}",
                      f"{r.submit_p99:.0f}",
                      f"{r.reports_per_s:.1f}", str(r.failed))
    console.print(table)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    parser.add_argument("--only", choices=["steps", "delivery", "service", "calendar",
                                           "digest", "export", "web"],
                        default=None)
    args = parser.parse_args()
    # The service freezes its start-up heap once ready (bot/service.py); this process does the
    # same, once, for every peer alike, so no peer's steps pay for walking another's objects.
    freeze_startup_heap()
    console = Console(width=150)
    console.print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
                  f"{psutil.virtual_memory().total / 2**30:.0f} GiB, "
                  f"Python {platform.python_version()}, {platform.platform()}")
    if args.only in (None, "steps"):
        console.print(await step_table(args.quick))
    if args.only in (None, "delivery"):
        print_delivery(console, await delivery_table(args.quick))
    if args.only in (None, "service"):
        print_service(console, await service_table(args.quick))
    if args.only in (None, "calendar"):
        print_calendar(console, await calendar_table(args.quick))
    if args.only in (None, "digest"):
        print_digest(console, await digest_table(args.quick))
    if args.only in (None, "web"):
        print_web(console, await web_table(args.quick))
    if args.only in (None, "export"):
        print_export(console, await export_table(args.quick))


if __name__ == "__main__":
    asyncio.run(main())
