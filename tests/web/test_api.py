"""The read-only JSON API, on both databases: an administrator makes per-subtree tokens on
the workplace's page; a token reads its subtree only, page by page, with free text as privacy
by level allows its unit; no token, a wrong or revoked one is refused; bad parameters get a
400; a token past its rate gets a 429; every read is audited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.clock import ManualClock
from storage.models import AuditLog
from tests.conftest import RecordingChannel
from tests.helpers import NGUNG_VIEC, invite, say
from tests.web.client import Browser, ask_link, hidden, text_of
from tests.web.conftest import serving

PLAIN = ["/baocao", "2", "binh thuong", "5", "Công nhân hỏi về tiền thưởng cuối năm", "1",
         "xong", "gửi"]


@pytest.fixture
async def api_app(db_url: str, clock: ManualClock, channel: RecordingChannel,
                  tmp_path: Path) -> AsyncIterator[App]:
    async with serving(db_url, clock, channel, tmp_path / "media",
                       http={"api_per_token": 8}) as app:
        yield app


async def get(base: str, path: str, token: str | None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.get(base + path, headers=headers) as r:
        return r.status, await r.json()


async def make_token(browser: Browser, base: str, csrf: str, unit: int, name: str) -> str:
    status, page, _ = await browser.post(base + "/web/workplace/api",
                                         {"csrf": csrf, "unit": str(unit), "name": name})
    assert status == 200, page
    return text_of(page, "token")


@pytest.mark.timeout(180)
async def test_tokens_read_their_subtree_page_by_page_by_level(
        api_app: App, channel: RecordingChannel) -> None:
    app = api_app
    await say(app, "quantri", await invite(app, "DEMO_TINH", role="admin"))
    await say(app, "demo", *NGUNG_VIEC, "gửi")
    await say(app, "demo", *PLAIN)
    async with app.uows() as uow:
        units = {c: (await uow.units.by_code(c)) for c in ("DEMO_TINH", "DEMO_HUYEN", "DEMO_KCN")}
    ids = {c: u.id for c, u in units.items() if u is not None}
    admin = Browser()
    try:
        link = await ask_link(app, channel, "quantri")
        base = link.split("/web/")[0]
        _, home, _ = await admin.sign_in(link)
        csrf = hidden(home, "csrf")
        district = await make_token(admin, base, csrf, ids["DEMO_HUYEN"], "Phần mềm đoàn viên")
        province = await make_token(admin, base, csrf, ids["DEMO_TINH"], "Power BI")
        other = await make_token(admin, base, csrf, ids["DEMO_KCN"], "KCN")
        _, page = await admin.get(base + "/web/workplace/api")
        assert 'id="token"' not in page  # the secret is shown once, when made

        status, body = await get(base, "/api/v1/reports", district)
        assert status == 200 and body["unit"] == "DEMO_HUYEN"
        first, second = body["items"]
        assert first["ref"] == "BC-2026-000001" and first["withheld"] == []
        assert second["ref"] == "BC-2026-000002" and second["category"] == "thuong"
        assert "nợ lương" in first["answers"]["mo_ta"]  # the direct upper level reads
        status, body = await get(base, "/api/v1/reports", province)
        assert body["items"][0]["answers"]["mo_ta"] is None
        assert body["items"][0]["withheld"] == ["de_xuat", "mo_ta"]
        assert body["items"][0]["answers"]["so_nguoi_ngung_viec"] == 120  # counts are read
        status, body = await get(base, "/api/v1/reports", other)
        assert (status, body["items"]) == (200, [])  # another subtree's: nothing

        status, body = await get(base, "/api/v1/reports?limit=1", district)
        assert [r["ref"] for r in body["items"]] == ["BC-2026-000001"]
        after = body["next_after"]
        status, body = await get(base, f"/api/v1/reports?limit=1&after={after}", district)
        assert [r["ref"] for r in body["items"]] == ["BC-2026-000002"]
        status, body = await get(base, f"/api/v1/reports?after={body['next_after']}",
                                 district)
        assert (body["items"], body["next_after"]) == ([], None)

        status, body = await get(base, "/api/v1/incidents", district)
        assert [(i["id"], i["state"], i["report_ref"]) for i in body["items"]] == [
            (1, "open", "BC-2026-000001")]
        status, body = await get(base, "/api/v1/units", district)
        assert sorted(u["code"] for u in body["items"]) == [
            "DEMO_CS1", "DEMO_CS2", "DEMO_CS3", "DEMO_HUYEN"]
        status, body = await get(base, "/api/v1/ledger?kind=thang", district)
        assert status == 200 and isinstance(body["items"], list)

        for path, token, want in (("/api/v1/reports", None, 401),
                                  ("/api/v1/reports", "th_wrong", 401),
                                  ("/api/v1/reports?limit=5000", district, 400),
                                  ("/api/v1/reports?after=-1", district, 400),
                                  ("/api/v1/reports?since=2026-11-01", district, 400)):
            status, body = await get(base, path, token)
            assert (status, path) == (want, path)
            assert "items" not in body
        status, body = await get(base, "/api/v1/reports?since=2026-11-01T00:00:00%2B07:00",
                                 province)
        assert status == 200 and len(body["items"]) == 2

        async with app.uows() as uow:
            reads = await uow.session.scalar(select(func.count()).select_from(AuditLog).where(
                AuditLog.action == "api.read"))
            made = await uow.session.scalar(select(func.count()).select_from(AuditLog).where(
                AuditLog.action == "api.token_made"))
        assert (reads, made) == (10, 3)  # the refused ones read nothing

        _, page = await admin.get(base + "/web/workplace/api")
        revoke = [i for i in ("revoke-1", "revoke-2", "revoke-3") if f'id="{i}"' in page]
        assert revoke == ["revoke-1", "revoke-2", "revoke-3"]
        await admin.post(base + "/web/workplace/api/1/revoke", {"csrf": csrf})
        status, _ = await get(base, "/api/v1/reports", district)
        assert status == 401
        # A token past its rate (8 a minute here): 429, and it says when to come back.
        codes = [(await get(base, "/api/v1/units", province))[0] for _ in range(8)]
        assert codes == [200] * 6 + [429] * 2  # two reads of this token came before
    finally:
        await admin.close()


@pytest.mark.timeout(120)
async def test_only_administrators_make_tokens_and_only_in_their_subtree(
        api_app: App, channel: RecordingChannel) -> None:
    app = api_app
    await say(app, "quantri_kcn", await invite(app, "DEMO_KCN", role="admin"))
    async with app.uows() as uow:
        huyen = await uow.units.by_code("DEMO_HUYEN")
    assert huyen is not None
    official, admin, nobody = Browser(), Browser(), Browser()
    try:
        link = await ask_link(app, channel, "canbo")
        base = link.split("/web/")[0]
        _, home, _ = await official.sign_in(link)
        status, _ = await official.get(base + "/web/workplace/api")
        assert status == 404
        status, _, _ = await official.post(base + "/web/workplace/api",
                                           {"csrf": hidden(home, "csrf"), "unit": str(huyen.id)})
        assert status == 404
        _, home, _ = await admin.sign_in(await ask_link(app, channel, "quantri_kcn"))
        status, _, _ = await admin.post(base + "/web/workplace/api",
                                        {"csrf": hidden(home, "csrf"), "unit": str(huyen.id)})
        assert status == 404  # outside the admin's subtree
        status, _ = await admin.get(base + "/web/workplace/api")
        assert status == 200
        status, _ = await nobody.get(base + "/web/workplace/api")
        assert status == 401
        async with app.uows() as uow:
            made = await uow.session.scalar(select(func.count()).select_from(AuditLog).where(
                AuditLog.action == "api.token_made"))
        assert made == 0
    finally:
        for b in (official, admin, nobody):
            await b.close()
