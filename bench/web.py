"""The web form under load: 50 chairs at once open the rapid report's page and send it.

The bot runs here as the service runs it (its aiohttp server on loopback, the real database);
the 50 phones are another process (so their HTTP work does not share the server's event
loop or its core), each with its own cookie jar, signed in through a one-time link. A round
for one phone: start a draft (POST, redirected to the page), GET the form page, POST the whole
page ("Tiếp tục", redirected to the card: "save"), POST "Gửi" (redirected to the report's page:
"send", the submission), back to the home page.
Latency is per request, as the phone sees it, redirect included. Each phone waits 0.5-1.5 s
before each of these requests, as a person reads and types (the steps benchmark paces its
chats the same way, and it is far quicker than anyone fills a form: each phone files a report
every few seconds). 50 phones pressing at once without pause is a flood, not 50 people: it
measures queueing, not the page (``think=0`` runs it so, for throughput).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import statistics
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import App, build_app
from bot.channels.base import SENT, OutboundMessage, Quiet, SendResult
from bot.channels.console import CAPABILITIES, NAME
from bot.config import Settings
from handlers.people.demo import seed_demo
from storage.migrate import upgrade

RAPID = {"q.linh_vuc": "tien_luong", "q.muc_do": "can_chu_y", "q.so_nguoi": "12",
         "q.mo_ta": "Chậm trả lương tháng 10 cho tổ may", "q.tinh_trang": "dang_xu_ly"}


class Sink(Quiet):
    """The chair's chat: the one record each report sends there goes nowhere."""

    name = NAME
    capabilities = CAPABILITIES

    async def send(self, address: str, message: OutboundMessage) -> SendResult:
        return SENT


@dataclass(frozen=True)
class WebFigures:
    database: str
    think: float
    users: int
    rounds: int
    page_p50: float
    page_p99: float
    save_p50: float
    save_p99: float
    submit_p50: float
    submit_p99: float
    reports_per_s: float
    failed: int


class _Hidden(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.values.setdefault(str(a["name"]), a.get("value") or "")


def hidden(html: str) -> dict[str, str]:
    parser = _Hidden()
    parser.feed(html)
    return parser.values


async def _phone(base: str, link: str, rounds: int, out: dict[str, list[float]],
                 think: float) -> None:
    async def pause() -> None:
        if think:
            await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))

    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(link) as r:
            pre = hidden(await r.text())["pre"]
        async with http.post(link, data={"pre": pre}) as r:
            home = await r.text()
        for _ in range(rounds):
            fields = hidden(home)
            await pause()
            async with http.post(base + "/web/start", data={
                    "csrf": fields["csrf"], "form": "bao_cao_nhanh",
                    "unit": fields["unit"]}) as r:
                draft_url = str(r.url)
            await pause()
            started = time.perf_counter()
            async with http.get(draft_url) as r:
                page = await r.text()
                ok = r.status == 200
            out["page"].append(time.perf_counter() - started)
            fields = hidden(page)
            await pause()
            started = time.perf_counter()
            async with http.post(draft_url, data={**RAPID, "csrf": fields["csrf"],
                                                  "v": fields["v"], "action": "next"}) as r:
                card = await r.text()
                ok = ok and str(r.url).endswith("/card")
            out["save"].append(time.perf_counter() - started)
            fields = hidden(card)
            await pause()
            started = time.perf_counter()
            async with http.post(draft_url + "/send", data={"csrf": fields["csrf"],
                                                            "v": fields["v"]}) as r:
                await r.read()
                ok = ok and "/web/reports/" in str(r.url)
            out["submit"].append(time.perf_counter() - started)
            out["failed"].append(0.0 if ok else 1.0)
            await pause()
            async with http.get(base + "/web/") as r:
                home = await r.text()


def _phones(base: str, links: list[str], rounds: int, think: float, queue: Any) -> None:
    """The load, in its own process: every phone at once."""
    out: dict[str, list[float]] = {"page": [], "save": [], "submit": [], "failed": []}

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(_phone(base, link, rounds, out, think) for link in links))
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    queue.put((out, elapsed))


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _chairs(app: App, users: int) -> list[str]:
    """``users`` chairs of one demo unit, each with a sign-in link."""
    now = app.clock.now()
    links = []
    async with app.uows() as uow:
        await seed_demo(uow, now, channel=NAME)
        unit = await uow.units.by_code("DEMO_CS1")
        assert unit is not None and app.web is not None
        for n in range(users):
            identity = await uow.identities.get_or_create(NAME, f"chair{n}", f"chair{n}",
                                                          f"chair{n}", now)
            await uow.memberships.add(identity.person_id, unit.id, "chair", None, now)
            links.append(await app.web.access.mint(uow, identity.person_id, identity.id, now))
        await uow.commit()
    return links


async def run_web(url: str, label: str, users: int, rounds: int, workdir: Path,
                  think: float = 1.0) -> WebFigures:
    settings = Settings(database_url=url, media_dir=workdir / "media",
                        # Every phone here comes from 127.0.0.1: the per-address count is
                        # lifted (per person it stays as shipped).
                        http={"host": "127.0.0.1", "port": 0, "requests_per_address": 10**6,
                              "sign_ins_per_address": 10**6},
                        _env_file=None)  # type: ignore[call-arg]
    app = build_app(settings, channels=[Sink()])
    await upgrade(app.db)
    await app.start_http()
    try:
        links = await _chairs(app, users)
        base = f"http://127.0.0.1:{app.http.port}"
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        process = context.Process(target=_phones, args=(base, links, rounds, think, queue))
        process.start()
        # The delivery worker as the service runs it: woken by each page's commit.
        sending = asyncio.create_task(app.delivery.run_forever())
        while queue.empty():
            if not process.is_alive() and queue.empty():
                raise RuntimeError(f"the phones' process ended ({process.exitcode})")
            await asyncio.sleep(0.2)
        out, elapsed = queue.get()
        sending.cancel()
        await asyncio.to_thread(process.join, 30)
    finally:
        await app.http.stop()
        await app.close()
    done = len(out["submit"])
    return WebFigures(label, think, users, rounds, _p(out["page"], 0.5), _p(out["page"], 0.99),
                      _p(out["save"], 0.5), _p(out["save"], 0.99), _p(out["submit"], 0.5),
                      _p(out["submit"], 0.99), done / elapsed,
                      int(statistics.fsum(out["failed"])))
