"""A province-wide member survey (issue 21, Show d): 100,000 responses across 1,000 CĐCS.

The results page's work (SurveyResultsDesk.results) for a district (50 CĐCS) and for the
province (all of them), and the Excel export of the province's responses (SurveyExport.write):
time, and the process's peak RSS over its size before the export (sampled every 20 ms), on
SQLite and PostgreSQL. Goals: results under 1 s, the export under 30 s and 300 MB.

    PYTHONPATH=. python -m bench.surveys
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psutil
from sqlalchemy import insert, select

from bench.org import grassroots
from bench.run import database
from bot.app import App, build_app
from bot.clock import ManualClock
from bot.config import Settings
from handlers.directives.publishing import Actor
from storage.migrate import upgrade
from storage.models import Membership, OrgUnit, Person
from storage.survey_models import SurveyResponse

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 10, 1, 9, 0, tzinfo=TZ)
CHOICES = {"doi_song": ["cai_thien", "nhu_cu", "kho_khan_hon"],
           "viec_lam": ["du_viec", "thieu_mot_phan", "thieu_nghiem_trong", "mat_viec"],
           "thu_nhap": ["duoi_5", "tu_5_den_8", "tu_8_den_12", "tu_12"]}
TOPICS = ["tien_luong", "thoi_gio", "an_toan", "nha_o", "bhxh", "khac"]


def answers(rng: random.Random) -> dict[str, object]:
    out: dict[str, object] = {k: rng.choice(v) for k, v in CHOICES.items()}
    out["hai_long"] = rng.randint(1, 5)
    out["van_de"] = rng.sample(TOPICS, rng.randint(1, 3))
    if "khac" in out["van_de"]:  # type: ignore[operator]
        out["van_de_khac"] = "Giá thuê trọ tăng"
    if rng.random() < 0.3:
        out["tam_tu"] = "Mong công ty tăng lương, giảm tăng ca"
    return out


async def seed(app: App, responses: int) -> tuple[Actor, int, int]:
    await upgrade(app.db)
    await grassroots(app.uows, 20, 50, NOW)
    assert app.surveys is not None
    async with app.uows() as uow:
        root = await uow.units.by_code("TINH")
        district = await uow.units.by_code("H0")
        assert root is not None and district is not None
        person = Person(display_name="tinh", created_at=NOW)
        uow.session.add(person)
        await uow.session.flush()
        uow.session.add(Membership(person_id=person.id, unit_id=root.id, role="official",
                                   created_at=NOW))
        await uow.session.flush()
        actor = Actor(person.id, None, "bench")
        campaign = await app.surveys.campaigns.open(uow, actor, root.id, "khao_sat_doan_vien",
                                                    date(2026, 10, 1), date(2026, 10, 31), NOW)
        units = list((await uow.session.scalars(
            select(OrgUnit.id).where(OrgUnit.code.like("H%\\_CS%", escape="\\")))).all())
        await uow.commit()
    rng = random.Random(7)
    for start in range(0, responses, 5000):
        async with app.uows() as uow:
            await uow.session.execute(insert(SurveyResponse), [
                {"campaign_id": campaign.id, "unit_id": units[n % len(units)],
                 "device": uuid.uuid4().hex, "answers": answers(rng), "submitted_at": NOW}
                for n in range(start, min(start + 5000, responses))])
            await uow.commit()
    return actor, campaign.id, district.id


class Peak:
    """The process's largest RSS while it runs (sampled every 20 ms)."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


async def one(url: str, responses: int, repeats: int) -> dict[str, float]:
    app = build_app(Settings(database_url=url, _env_file=None,  # type: ignore[call-arg]
                             http={"public_url": "https://tinhhinh.example.vn"}),
                    clock=ManualClock(NOW))
    assert app.surveys is not None
    try:
        actor, campaign, district = await seed(app, responses)
        timings: dict[str, list[float]] = {"district": [], "province": []}
        for _ in range(repeats):
            for name, unit in (("district", district), ("province", None)):
                started = time.perf_counter()
                async with app.uows() as uow:
                    found = await app.surveys.results.results(uow, actor.person_id, campaign,
                                                              unit, "vi")
                timings[name].append(time.perf_counter() - started)
                assert found.responses > 0
        before = psutil.Process().memory_info().rss
        out = io.BytesIO()
        with Peak() as peak:
            started = time.perf_counter()
            async with app.uows() as uow:
                found = await app.surveys.export.write(uow, actor.person_id, campaign, None,
                                                       "vi", out)
            export_s = time.perf_counter() - started
        return {"responses": found.responses,
                "district_s": statistics.median(timings["district"]),
                "province_s": statistics.median(timings["province"]),
                "export_s": export_s, "export_mb": len(out.getvalue()) / 1e6,
                "peak_mb": peak.peak / 1e6, "delta_mb": (peak.peak - before) / 1e6}
    finally:
        await app.close()


async def main(responses: int = 100_000, repeats: int = 5) -> None:
    print(f"load average: {os.getloadavg()}")
    for kind in ("sqlite", "postgresql"):
        async with database(kind, Path(tempfile.mkdtemp())) as url:
            figures = await one(url, responses, repeats)
        print(f"{kind}: {figures['responses']:,} responses; results page median of {repeats}: "
              f"district (50 CĐCS) {figures['district_s'] * 1000:.0f} ms, province (1,000) "
              f"{figures['province_s'] * 1000:.0f} ms; export {figures['export_s']:.1f} s, "
              f"{figures['export_mb']:.1f} MB file, peak RSS {figures['peak_mb']:.0f} MB "
              f"(+{figures['delta_mb']:.0f} MB during the export)")
    print(f"load average: {os.getloadavg()}")

if __name__ == "__main__":
    asyncio.run(main())
