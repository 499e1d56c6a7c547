"""The officials' workplace and the API on a province's year (issue 22, Show e): 1,000 CĐCS
(20 districts of 50), 1,000,000 reports over 2026, 20,000 hot spots (1,000 still open), the
monthly and quarterly ledger.

Each page is asked over HTTP from the bot's own aiohttp server on loopback, signed in as the
province's official and as a district's, and timed as the browser sees it (rendering
included): the overview, the ledger, the hot-spot board (open and resolved tabs) and the
report list (and the overview's chart, an image loaded after the page); then the API's page
of 1,000 reports (the first, and one from the middle of the
year) for the province's token and a district's. Goals: pages under 300 ms, the API's page
under 200 ms, on SQLite and PostgreSQL.

    PYTHONPATH=. python -m bench.workplace [--reports N] [--repeats R]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import insert, select, text

from bench.org import grassroots
from bench.run import database
from bot.app import App, build_app
from bot.clock import ManualClock
from bot.config import Settings
from bot.service import freeze_startup_heap
from handlers.api.tokens import PREFIX, digest
from handlers.people.web_access import digest as pass_digest
from storage.api_models import ApiToken
from storage.migrate import upgrade
from storage.models import (
    ChannelIdentity,
    Incident,
    Membership,
    PeriodObligation,
    Person,
    Report,
    WebPass,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=TZ)
YEAR = datetime(2026, 1, 1, tzinfo=TZ)
CATEGORIES = ["tien_luong", "thuong", "thoi_gio", "an_toan", "ky_luat", "bhxh", "nha_o",
              "ngung_viec", "khac"]
SEVERITIES = ["binh_thuong", "can_chu_y", "nghiem_trong", "khan_cap"]
CHUNK = 20_000
PAGES = {"overview": "/web/workplace", "ledger": "/web/workplace/ledger",
         "board": "/web/workplace/hotspots", "resolved": "/web/workplace/hotspots?tab=resolved",
         "reports": "/web/workplace/reports",
         # The overview's chart: an image the page loads after it (8 weeks counted).
         "chart": "/web/workplace/chart.png"}


async def people(app: App) -> dict[str, tuple[int, int]]:
    """The province's official and district H0's: (person, identity) each."""
    found = {}
    async with app.uows() as uow:
        for who, code in (("province", "TINH"), ("district", "H0")):
            unit = await uow.units.by_code(code)
            assert unit is not None
            person = Person(display_name=who, created_at=NOW)
            uow.session.add(person)
            await uow.session.flush()
            identity = ChannelIdentity(channel="console", external_id=who, person_id=person.id,
                                       address=who, display_name=who, created_at=NOW)
            uow.session.add(identity)
            uow.session.add(Membership(person_id=person.id, unit_id=unit.id, role="official",
                                       created_at=NOW))
            await uow.session.flush()
            found[who] = (person.id, identity.id)
        await uow.commit()
    return found


async def reports(app: App, total: int, rng: random.Random) -> None:
    async with app.uows() as uow:
        rows = (await uow.session.execute(
            select(Membership.unit_id, Membership.person_id).where(Membership.role == "chair")
            .order_by(Membership.unit_id))).all()
    chairs = [(int(u), int(p)) for u, p in rows]
    span = (NOW - YEAR).total_seconds()
    for start in range(0, total, CHUNK):
        batch = []
        for n in range(start, min(start + CHUNK, total)):
            unit, person = chairs[n % len(chairs)]
            when = YEAR + timedelta(seconds=span * n / total)
            category = rng.choice(CATEGORIES)
            text = f"Công nhân phản ánh về {category} số {n}"
            batch.append({
                "ref": f"BC-2026-{n + 1:07d}", "unit_id": unit, "person_id": person,
                "form_id": "bao_cao_nhanh", "form_version": 1,
                "period": f"{when.astimezone(TZ):%Y-%m}", "category": category,
                "severity": rng.choice(SEVERITIES), "status": "submitted",
                "submitted_at": when, "nil": False, "words": text.lower(),
                "answers": {"linh_vuc": category, "so_nguoi": rng.randint(1, 300),
                            "mo_ta": text, "tinh_trang": "dang_xu_ly"}})
        async with app.uows() as uow:
            await uow.session.execute(insert(Report), batch)
            await uow.commit()


async def incidents(app: App, every: int, rng: random.Random) -> None:
    """A hot spot for every ``every``-th report: the latest ones still open or being handled."""
    async with app.uows() as uow:
        rows = (await uow.session.execute(
            select(Report.id, Report.unit_id, Report.submitted_at)
            .where(Report.id % every == 0).order_by(Report.id))).all()
    total = len(rows)
    batch = []
    for k, (report, unit, at) in enumerate(rows):
        state = "open" if k >= total - total // 20 else (
            "acknowledged" if k >= total - total // 7 else "resolved")
        batch.append({
            "report_id": report, "unit_id": unit, "severity": rng.choice(["khan_cap",
                                                                          "nghiem_trong"]),
            "state": state, "rules": {}, "ladder": {}, "step": 0, "level": 0,
            "first_alert_at": at, "opened_at": at, "updated_at": at, "version": 1,
            "acknowledged_at": at + timedelta(hours=2) if state != "open" else None,
            "resolved_at": at + timedelta(days=2) if state == "resolved" else None,
            "resolution": "Đã giải quyết" if state == "resolved" else None})
    for start in range(0, len(batch), CHUNK):
        async with app.uows() as uow:
            await uow.session.execute(insert(Incident), batch[start:start + CHUNK])
            await uow.commit()


async def ledger(app: App, rng: random.Random) -> None:
    async with app.uows() as uow:
        units = list((await uow.session.scalars(select(Membership.unit_id).where(
            Membership.role == "chair"))).all())
    periods = [("thang", f"2026-{m:02d}", "bao_cao_thang",
                date(2026, m + 1, 5) if m < 12 else date(2027, 1, 5)) for m in range(1, 12)]
    periods += [("quy", f"2026-Q{q}", "bao_cao_quy", date(2026, 3 * q + 1, 10) if q < 4
                 else date(2027, 1, 10)) for q in range(1, 4)]
    batch = []
    for unit in units:
        for kind, period, form, due in periods:
            status = "pending" if due >= NOW.date() else rng.choices(
                ["on_time", "late", "nil", "missing"], [70, 15, 5, 10])[0]
            batch.append({"unit_id": unit, "kind": kind, "period": period, "form_id": form,
                          "due_on": due, "status": status, "created_at": NOW,
                          "updated_at": NOW,
                          "last_step": "due" if status in ("late", "missing") else None})
    async with app.uows() as uow:
        await uow.session.execute(insert(PeriodObligation), batch)
        await uow.commit()


async def sessions(app: App, who: dict[str, tuple[int, int]]) -> dict[str, str]:
    """A signed-in browser's cookie for each official, and an API token for each."""
    cookies = {}
    async with app.uows() as uow:
        for name, (person, identity) in who.items():
            secret = f"bench-session-{name}"
            uow.session.add(WebPass(digest=pass_digest(secret), kind="session",
                                    person_id=person, identity_id=identity,
                                    csrf="x" * 24, created_at=NOW,
                                    expires_at=NOW + timedelta(days=7)))
            cookies[name] = secret
            unit = (await uow.session.execute(select(Membership.unit_id).where(
                Membership.person_id == person))).scalar_one()
            uow.session.add(ApiToken(name=name, digest=digest(f"{PREFIX}{name}"), unit_id=unit,
                                     created_at=NOW))
        await uow.commit()
    return cookies


def spread(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


async def timed(http: aiohttp.ClientSession, url: str, repeats: int, **kw: object
                ) -> tuple[float, float]:
    times = []
    for n in range(repeats + 2):
        started = time.perf_counter()
        async with http.get(url, **kw) as r:  # type: ignore[arg-type]
            body = await r.read()
            assert r.status == 200, (url, r.status, body[:300])
        if n >= 2:  # two warm-up requests
            times.append(time.perf_counter() - started)
    return spread(times)


async def one(kind: str, url: str, total: int, repeats: int) -> dict[str, tuple[float, float]]:
    app = build_app(Settings(database_url=url, _env_file=None,  # type: ignore[call-arg]
                             http={"host": "127.0.0.1", "port": 0,
                                   "requests_per_address": 1_000_000,
                                   "api_per_token": 1_000_000,
                                   "api_per_address": 1_000_000}),
                    clock=ManualClock(NOW))
    rng = random.Random(11)
    try:
        await upgrade(app.db)
        started = time.perf_counter()
        await grassroots(app.uows, 20, 50, NOW)
        who = await people(app)
        await reports(app, total, rng)
        await incidents(app, 50, rng)
        await ledger(app, rng)
        async with app.uows() as uow:  # the planner's statistics, as after a day's use
            await uow.session.execute(text("ANALYZE"))
            await uow.commit()
        print(f"  {kind}: seeded in {time.perf_counter() - started:.0f} s", flush=True)
        cookies = await sessions(app, who)
        await app.start_http()
        freeze_startup_heap()  # as `tinhhinh run` does once it has started (bot/service.py)
        base = f"http://127.0.0.1:{app.http.port}"
        found: dict[str, tuple[float, float]] = {}
        for name, cookie in cookies.items():
            async with aiohttp.ClientSession(cookies={"th_session": cookie}) as http:
                for page, path in PAGES.items():
                    found[f"{name} {page}"] = await timed(http, base + path, repeats)
            headers = {"Authorization": f"Bearer {PREFIX}{name}"}
            async with aiohttp.ClientSession() as http:
                for label, query in (("api first", "limit=1000"),
                                     ("api middle", f"limit=1000&after={total // 2}")):
                    found[f"{name} {label}"] = await timed(
                        http, f"{base}/api/v1/reports?{query}", repeats, headers=headers)
        return found
    finally:
        await app.http.stop()
        await app.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("sqlite", "postgres"):
            async with database(kind, Path(tmp)) as url:
                found = await one(kind, url, args.reports, args.repeats)
            print(f"{kind}: {args.reports:,} reports, {args.repeats} requests each, "
                  f"load average {os.getloadavg()}")
            for name, (p50, p99) in found.items():
                print(f"  {name:22} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
