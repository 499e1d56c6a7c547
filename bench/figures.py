"""The officials' views at scale (DESIGN targets): the weekly digest for 1,000 units over
1,000,000 reports (at most 2 s on PostgreSQL, 5 s on SQLite) and an Excel export of 100,000
reports (at most 30 s and 300 MB peak RSS).

Reports, incidents and the ledger are seeded set-based (a generated series per database), then
the digest runs as the bot runs it (WeeklyDigest.on_send for the province's official: figures,
text, chart, outbox row) and the export runs as administrators run it (`tinhhinh export` in
its own process, so its peak RSS is its own).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psutil
from sqlalchemy import func, select, text

from bench.org import grassroots
from bot.app import App, build_app
from bot.clock import ManualClock
from bot.config import Settings
from handlers.figures.digest import week_bounds
from handlers.figures.gather import gather
from storage.migrate import upgrade
from storage.models import Fire, Incident, OrgUnit, Report

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DIGEST_AT = datetime(2026, 11, 16, 8, 0, tzinfo=TZ)  # a Monday
CATEGORIES = ("tien_luong", "thuong", "thoi_gio", "attvld", "bhxh", "viec_lam", "ngung_viec",
              "khieu_nai", "tu_tuong", "doi_song", "an_ninh", "khac")
RUNS = 5


@dataclass(frozen=True)
class DigestFigures:
    database: str
    units: int
    reports: int
    incidents: int
    seed_s: float
    figures_s: float  # median: the SQL behind the digest, province-wide
    digest_s: float  # median: figures, text, chart and outbox row for the province official
    district_s: float  # median: the figures of one district (100 units)


@dataclass(frozen=True)
class ExportFigures:
    database: str
    reports: int
    seconds: float
    peak_rss_mb: float
    size_mb: float


def _series(postgres: bool) -> str:
    if postgres:
        return "SELECT generate_series(1, :n) AS i"
    return ("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) "
            "SELECT i FROM s")


def _minus_minutes(postgres: bool, start: str, minutes: str) -> str:
    if postgres:
        return f"({start} - ({minutes}) * interval '1 minute')"
    return f"(strftime('%Y-%m-%d %H:%M:%S', {start}, '-' || ({minutes}) || ' minutes') " \
           f"|| '.000000')"


def _plus_minutes(postgres: bool, column: str, minutes: int) -> str:
    if postgres:
        return f"({column} + interval '{minutes} minutes')"
    return f"(strftime('%Y-%m-%d %H:%M:%S', {column}, '+{minutes} minutes') || '.000000')"


async def seed_reports(app: App, count: int, newest: datetime, spread_minutes: int) -> float:
    """``count`` rapid reports over the grassroots units, one every few minutes back from
    ``newest`` over ``spread_minutes``; one in fifty opens an incident. Returns seconds."""
    postgres = app.db.dialect.name == "postgresql"
    case = " ".join(f"WHEN {k} THEN '{c}'" for k, c in enumerate(CATEGORIES))
    obj = "jsonb_build_object" if postgres else "json_object"
    start = "CAST(:newest AS timestamptz)" if postgres else ":newest"
    # A prime stride scatters the reports in time.
    minutes = f"(CAST(s.i AS BIGINT) * 7919) % {spread_minutes}"
    reports = text(f"""
        INSERT INTO report (ref, unit_id, person_id, form_id, form_version, period, category,
                            answers, status, submitted_at, nil)
        SELECT 'B' || s.i, leaves.id, :person, 'bao_cao_nhanh', 1, '2026-11',
               CASE s.i % 12 {case} END,
               {obj}('linh_vuc', CASE s.i % 12 {case} END, 'muc_do', 'binh_thuong',
                     'so_nguoi', s.i % 200,
                     'mo_ta', 'Công nhân phản ánh việc chậm trả lương tháng trước, số ' || s.i,
                     'tinh_trang', 'dang_xu_ly'),
               'submitted', {_minus_minutes(postgres, start, minutes)}, false
        FROM ({_series(postgres)}) AS s
        JOIN (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k FROM org_unit
              WHERE depth = 2) AS leaves ON leaves.k = s.i % :units
    """)
    incidents = text(f"""
        INSERT INTO incident (report_id, unit_id, severity, state, rules, ladder, step, level,
                              first_alert_at, opened_at, acknowledged_at, resolved_at,
                              version, updated_at)
        SELECT id, unit_id, 'nghiem_trong',
               CASE id % 3 WHEN 0 THEN 'open' WHEN 1 THEN 'acknowledged' ELSE 'resolved' END,
               {obj}(), {obj}(), 0, 0, submitted_at, submitted_at,
               CASE WHEN id % 3 <> 0 THEN {_plus_minutes(postgres, 'submitted_at', 35)} END,
               CASE WHEN id % 3 = 2 THEN {_plus_minutes(postgres, 'submitted_at', 1500)} END,
               0, submitted_at
        FROM report WHERE id % 50 = 0
    """)
    started = time.perf_counter()
    async with app.uows() as uow:
        units = int(await uow.session.scalar(
            select(func.count()).select_from(OrgUnit).where(OrgUnit.depth == 2)) or 0)
        person = await uow.session.scalar(select(func.min(Report.person_id)))
        if person is None:
            person = await uow.session.scalar(text("SELECT min(id) FROM person"))
        when = newest.astimezone(UTC)
        await uow.session.execute(reports, {
            "n": count, "units": units, "person": person,
            "newest": when if postgres else when.strftime("%Y-%m-%d %H:%M:%S")})
        await uow.session.execute(incidents)
        # The October ledger: a quarter each on time, nil, late, and missing (and listed).
        await uow.obligations.open_period("thang", "2026-10", "bao_cao_thang",
                                          datetime(2026, 10, 20).date(), newest)
        await uow.session.execute(text(
            "UPDATE period_obligation SET status = CASE unit_id % 4 WHEN 0 THEN 'on_time' "
            "WHEN 1 THEN 'nil' WHEN 2 THEN 'late' ELSE 'missing' END, "
            "overdue_since = CASE WHEN unit_id % 4 = 3 THEN updated_at END"))
        await uow.commit()
    await analyze(app)
    return time.perf_counter() - started


async def analyze(app: App) -> None:
    """PostgreSQL's statistics after a bulk fill, as autovacuum would gather them soon."""
    if app.db.dialect.name == "postgresql":
        async with app.db.connect() as conn:
            await conn.execute(text("COMMIT"))
            await conn.execute(text("ANALYZE"))


async def _official(app: App, unit_code: str) -> tuple[int, int]:
    """An official of the unit on a console account: (person id, unit id)."""
    async with app.uows() as uow:
        unit = await uow.units.by_code(unit_code)
        assert unit is not None
        identity = await uow.identities.get_or_create("console", f"canbo-{unit_code}",
                                                      f"canbo-{unit_code}", "cán bộ", DIGEST_AT)
        await uow.memberships.add(identity.person_id, unit.id, "official", None, DIGEST_AT)
        await uow.commit()
        return identity.person_id, unit.id


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


async def run_digest(url: str, label: str, reports: int) -> DigestFigures:
    clock = ManualClock(DIGEST_AT)
    app = build_app(Settings(database_url=url, _env_file=None),  # type: ignore[call-arg]
                    clock=clock)
    assert app.digest is not None
    try:
        await upgrade(app.db)
        await grassroots(app.uows, 10, 100, DIGEST_AT)
        person, province = await _official(app, "TINH")
        seed_s = await seed_reports(app, reports, DIGEST_AT - timedelta(hours=9),
                                    spread_minutes=365 * 24 * 60)
        async with app.uows() as uow:
            stored = int(await uow.session.scalar(select(func.count()).select_from(Report)) or 0)
            opened = int(await uow.session.scalar(
                select(func.count()).select_from(Incident)) or 0)
            top = await uow.units.get(province)
            district = await uow.units.by_code("H0")
        assert top is not None and district is not None
        bounds = week_bounds(DIGEST_AT.date(), TZ, app.policy.digest.chart_weeks)

        async def figures_of(unit: OrgUnit) -> float:
            started = time.perf_counter()
            async with app.uows() as uow:
                found = await gather(uow, unit, bounds, DIGEST_AT, DIGEST_AT.date(), 48)
            assert found.grassroots in (100, 1000) and found.total() > 0
            return time.perf_counter() - started

        figures_s = _median([await figures_of(top) for _ in range(RUNS)])
        district_s = _median([await figures_of(district) for _ in range(RUNS)])
        digests = []
        for run in range(RUNS):
            fire = Fire(kind="digest.send", target=f"bench:{run}", payload={
                "day": DIGEST_AT.date().isoformat(), "person": person, "unit": province})
            started = time.perf_counter()
            async with app.uows() as uow:
                await app.digest.on_send(uow, fire, DIGEST_AT)
                await uow.commit()
            digests.append(time.perf_counter() - started)
        return DigestFigures(label, 1000, stored, opened, seed_s, figures_s, _median(digests),
                             district_s)
    finally:
        await app.close()


async def run_export(url: str, label: str, reports: int) -> ExportFigures:
    """``reports`` reports filed in October 2026, exported for the province from the command
    line in a process of its own (time and peak RSS as the administrator's shell sees them)."""
    app = build_app(Settings(database_url=url, _env_file=None),  # type: ignore[call-arg]
                    clock=ManualClock(DIGEST_AT))
    try:
        await upgrade(app.db)
        await grassroots(app.uows, 10, 100, DIGEST_AT)
        await seed_reports(app, reports, datetime(2026, 10, 31, 20, 0, tzinfo=TZ),
                           spread_minutes=30 * 24 * 60)
    finally:
        await app.close()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "tinh.xlsx"
        env = {**os.environ, "TINHHINH_DATABASE_URL": url}
        command = [str(Path(sys.executable).parent / "tinhhinh"), "export", "--period",
                   "2026-10", "--unit", "TINH", "--out", str(out)]
        seconds, rss_kb = _timed(command, env)
        size = out.stat().st_size
    return ExportFigures(label, reports, seconds, rss_kb / 1024, size / 2**20)


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Run a command to its end: (seconds, its peak RSS in kB).

    The RSS is sampled every 10 ms rather than read from rusage: Linux carries a process's
    high-water mark across fork and exec, so rusage would report this (large) benchmark
    process's own memory instead of the export's.
    """
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    probe = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, probe.memory_info().rss)
        time.sleep(0.01)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:2])} failed with status {child.returncode}")
    return seconds, peak // 1024
