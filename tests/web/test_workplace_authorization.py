"""The authorization matrix of the officials' workplace, on both databases: every page and
action, asked by the district's official (A), another district's (B), the province's, a
chair, an administrator and nobody; unit ids and hot-spot numbers of another subtree in the
URL fail as not found and change nothing; free text follows privacy by level on every page.

The demo tree: DEMO_TINH > DEMO_HUYEN (A: "canbo") > DEMO_CS1 (chair "demo");
DEMO_TINH > DEMO_KCN (B: "kcn") > DEMO_CS4.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.app import App
from storage.models import AuditLog, Incident, IncidentEvent
from tests.conftest import RecordingChannel
from tests.helpers import NGUNG_VIEC, invite, say
from tests.web.client import Browser, ask_link, hidden

WORDS = "nợ lương hai tháng"  # in the report's description (free text)
ROLES = ("a", "b", "province", "chair", "admin", "nobody")
# Who opens what: the district's own pages and its hot spot; 404 for another subtree's
# official and a chair; 401 for no session.
SEEN_BY = {"a": 200, "b": 404, "province": 200, "chair": 404, "admin": 200, "nobody": 401}


async def people(app: App) -> dict[str, str]:
    await say(app, "tinh", await invite(app, "DEMO_TINH", role="official"))
    await say(app, "kcn", await invite(app, "DEMO_KCN", role="official"))
    await say(app, "quantri", await invite(app, "DEMO_TINH", role="admin"))
    return {"a": "canbo", "b": "kcn", "province": "tinh", "chair": "demo", "admin": "quantri"}


async def ids(app: App) -> dict[str, int]:
    async with app.uows() as uow:
        found = {code.lower(): (await uow.units.by_code(code))
                 for code in ("DEMO_HUYEN", "DEMO_CS1", "DEMO_KCN", "DEMO_CS4")}
    return {k: u.id for k, u in found.items() if u is not None}


async def state(app: App) -> tuple[str, int, int]:
    async with app.uows() as uow:
        incident = await uow.session.get(Incident, 1)
        events = await uow.session.scalar(select(func.count()).select_from(IncidentEvent))
        exports = await uow.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "export"))
    assert incident is not None
    return incident.state, int(events or 0), int(exports or 0)


def pages(u: dict[str, int]) -> list[str]:
    """Every workplace page, about district A (its unit, its CĐCS, its hot spot no. 1)."""
    huyen, cs1 = u["demo_huyen"], u["demo_cs1"]
    return [
        "/web/workplace", f"/web/workplace?unit={huyen}", f"/web/workplace?unit={cs1}",
        f"/web/workplace/chart.png?unit={huyen}", "/web/workplace/hotspots",
        f"/web/workplace/hotspots?unit={huyen}", "/web/workplace/hotspots/1",
        "/web/workplace/ledger", f"/web/workplace/ledger?unit={huyen}",
        "/web/workplace/export", f"/web/workplace/export?unit={huyen}",
        "/web/workplace/export.xlsx?" + urlencode({"unit": huyen, "period": "2026-11"}),
    ]


def expected(role: str, path: str) -> int:
    about_a = "unit=" in path or "/hotspots/1" in path
    if role == "b" and not about_a:
        return 200  # their own subtree's page
    return SEEN_BY[role]


@pytest.mark.timeout(240)
async def test_every_workplace_page_and_action_by_every_role(
        web_app: App, channel: RecordingChannel) -> None:
    who = await people(web_app)
    await say(web_app, "demo", *NGUNG_VIEC, "gửi")
    u = await ids(web_app)
    base = ""
    browsers = {role: Browser() for role in ROLES}
    try:
        csrf: dict[str, str] = {}
        for role, handle in who.items():
            link = await ask_link(web_app, channel, handle)
            base = link.split("/web/")[0]
            _, home, _ = await browsers[role].sign_in(link)
            csrf[role] = hidden(home, "csrf")
        before = await state(web_app)
        for role in ROLES:
            for path in pages(u):
                status, _, _ = await browsers[role].get_bytes(base + path)
                want = expected(role, path)
                assert status == want, (role, path, status)
            # The report list: a chair lists their own unit's; nobody lists another's.
            for path, want in ((f"/web/workplace/reports?unit={u['demo_cs1']}",
                                {"b": 404}), (f"/web/workplace/reports?unit={u['demo_cs4']}",
                                              {"a": 404, "chair": 404, "b": 200})):
                status, _ = await browsers[role].get(base + path)
                default = 401 if role == "nobody" else 200
                assert status == want.get(role, default), (role, path, status)
        exports = 3  # A, the province and the admin downloaded the district's
        assert await state(web_app) == (before[0], before[1], before[2] + exports)
        # Actions on another subtree's hot spot, or by a chair: 404, nothing changes.
        for role in ("b", "chair"):
            for action in ("acknowledge", "note", "resolve", "reopen"):
                status, _, _ = await browsers[role].post(
                    base + f"/web/workplace/hotspots/1/{action}",
                    {"csrf": csrf[role], "note": "x"})
                assert status == 404, (role, action)
        status, _, _ = await browsers["nobody"].post(
            base + "/web/workplace/hotspots/1/acknowledge", {"csrf": "x"})
        assert status == 401
        # Without the session's CSRF token, or with an action the page does not offer.
        status, _, _ = await browsers["a"].post(
            base + "/web/workplace/hotspots/1/acknowledge", {"note": ""})
        assert status == 403
        status, _, _ = await browsers["a"].post(base + "/web/workplace/hotspots/1/delete",
                                                {"csrf": csrf["a"]})
        assert status == 404
        status, _, _ = await browsers["a"].post(base + "/web/workplace/hotspots/99/acknowledge",
                                                {"csrf": csrf["a"]})
        assert status == 404
        assert (await state(web_app))[:2] == before[:2]
        # Privacy by level: the district reads the words; the province and the admin above
        # it do not, on the hot spot's page nor through the search.
        for role, reads in (("a", True), ("province", False), ("admin", False)):
            _, page = await browsers[role].get(base + "/web/workplace/hotspots/1")
            assert (WORDS in page) is reads, role
            _, page = await browsers[role].get(base + "/web/workplace/reports?q=no+luong")
            assert ('id="report-1"' in page) is reads, role
            _, page = await browsers[role].get(base + "/web/workplace/reports?q=BC-2026")
            assert 'id="report-1"' in page and WORDS not in page, role
        # The chair's list is their own unit's; B's board does not show A's hot spot.
        _, page = await browsers["chair"].get(base + "/web/workplace/reports")
        assert 'id="report-1"' in page
        _, page = await browsers["b"].get(base + "/web/workplace/hotspots")
        assert 'id="hotspot-1"' not in page and 'id="empty"' in page
        # The province may act: its acknowledgement goes through.
        status, _, _ = await browsers["province"].post(
            base + "/web/workplace/hotspots/1/acknowledge", {"csrf": csrf["province"]})
        assert status == 200 and (await state(web_app))[0] == "acknowledged"
    finally:
        for b in browsers.values():
            await b.close()
