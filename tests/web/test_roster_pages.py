"""Units and people in the workplace, on both databases: invites for a whole subtree made
at once, printed on a QR sheet whose codes (read back with a QR decoder) enrol in the chat; a
revoked one fails there; a chair who re-sends their used code is told they are enrolled; a
chair replaced keeps their reports and loses the role; the tree imported from an upload with
the command line's row-numbered messages; every route refused outside the subtree.

The demo tree: DEMO_TINH > DEMO_HUYEN ("canbo") > DEMO_CS1 ("demo"), DEMO_CS2, DEMO_CS3;
DEMO_TINH > DEMO_KCN > DEMO_CS4..6.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from bot.app import App
from bot.clock import ManualClock
from storage.models import AuditLog, Invite, Membership, OrgUnit, Report
from tests.conftest import RecordingChannel
from tests.helpers import NGUNG_VIEC, invite, say
from tests.web.client import Browser, read, signed_in, text_of
from tests.web.conftest import serving

START_LINK = re.compile(r"^https://t\.me/TinhHinhBot\?start=([A-Z0-9]{8})$")


@pytest.fixture
async def roster_app(db_url: str, clock: ManualClock, channel: RecordingChannel,
                     tmp_path: Path) -> AsyncIterator[App]:
    async with serving(db_url, clock, channel, tmp_path / "media",
                       telegram={"username": "TinhHinhBot"}) as app:
        yield app


async def unit(app: App, code: str) -> int:
    async with app.uows() as uow:
        found = await uow.units.by_code(code)
    assert found is not None
    return found.id


async def count(app: App, model: object, *where: object) -> int:
    async with app.uows() as uow:
        return int(await uow.session.scalar(
            select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def rows(page: str, prefix: str) -> list[str]:
    return [i for i in read(page).ids if i.startswith(prefix)]


@pytest.mark.timeout(180)
async def test_bulk_invites_print_a_sheet_whose_codes_enrol_and_a_revoked_one_fails(
        roster_app: App, channel: RecordingChannel) -> None:
    app = roster_app
    huyen = await unit(app, "DEMO_HUYEN")
    browser, base, csrf = await signed_in(app, channel, "canbo")
    try:
        status, page = await browser.get(base + "/web/workplace/units")
        assert status == 200
        cs1, cs2, cs3 = [await unit(app, c) for c in ("DEMO_CS1", "DEMO_CS2", "DEMO_CS3")]
        assert text_of(page, f"unit-{cs1}").endswith("Đã có (1)")
        assert text_of(page, f"unit-{cs2}").endswith("Chưa có")
        assert text_of(page, f"unit-{cs3}").endswith("Chưa có")
        assert 'id="import"' not in page  # importing the tree is an administrator's

        status, page, _ = await browser.post(base + "/web/workplace/invites",
                                               {"csrf": csrf, "unit": str(huyen)})
        assert status == 200 and text_of(page, "made") == "Đã tạo 2 mã mời mới.", page
        status, page, _ = await browser.post(base + "/web/workplace/invites",
                                             {"csrf": csrf, "unit": str(huyen)})
        assert text_of(page, "made") == "Đã tạo 0 mã mời mới."  # run twice: none more
        assert len(rows(page, "invite-")) == 2

        status, png, mime = await browser.get_bytes(base + "/web/workplace/invites/sheet.png")
        assert (status, mime) == (200, "image/png")
        links = sorted(r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png))))
        codes = [m.group(1) for m in map(START_LINK.match, links) if m]
        assert len(codes) == 2, links
        status, pdf, mime = await browser.get_bytes(base + "/web/workplace/invites/sheet.pdf")
        assert status == 200 and mime == "application/pdf" and pdf.startswith(b"%PDF-")

        async with app.uows() as uow:
            revoked = await uow.session.scalar(select(Invite).where(Invite.code == codes[1]))
        assert revoked is not None
        status, page, _ = await browser.post(
            base + f"/web/workplace/invites/{revoked.id}/revoke", {"csrf": csrf})
        assert status == 200 and f'id="invite-{revoked.id}"' not in page

        channel.clear()
        await say(app, "moi1", f"/start {codes[0]}")
        assert "Chào mừng! Đồng chí đã tham gia" in "\n".join(channel.texts("moi1"))
        await say(app, "moi2", codes[1])
        assert channel.texts("moi2")[-1] == (
            "Mã mời này đã bị thu hồi. Đồng chí hãy xin mã mới từ công đoàn cấp trên.")
        channel.clear()
        await say(app, "moi1", codes[0])  # their own, used code again
        assert channel.texts("moi1")[-1].startswith("Đồng chí đã là chủ tịch CĐCS của")
        assert await count(app, AuditLog, AuditLog.action == "invite.revoked") == 1
    finally:
        await browser.close()


@pytest.mark.timeout(180)
async def test_a_chair_replaced_keeps_their_reports_and_loses_the_role(
        roster_app: App, channel: RecordingChannel) -> None:
    app = roster_app
    await say(app, "demo", *NGUNG_VIEC, "gửi")
    browser, base, csrf = await signed_in(app, channel, "canbo")
    cs1 = await unit(app, "DEMO_CS1")
    try:
        status, page = await browser.get(base + f"/web/workplace/people?unit={cs1}")
        [role] = rows(page, "role-")
        number = int(role.removeprefix("role-"))
        status, page, _ = await browser.post(
            base + f"/web/workplace/people/{number}/replace?unit={cs1}", {"csrf": csrf})
        assert status == 200
        said = text_of(page, "replaced-text")
        code = text_of(page, "new-code")
        assert said.startswith("Đã bỏ vai trò chủ tịch cũ của CĐCS Công ty TNHH May Bắc Hà")
        assert await count(app, Membership, Membership.id == number) == 0
        assert await count(app, Report) == 1  # the old chair's report stays
        await say(app, "demo", "/baocao")
        assert "chưa tham gia" in channel.texts("demo")[-1]
        await say(app, "moi", code)
        assert "Chào mừng! Đồng chí đã tham gia CĐCS Công ty TNHH May Bắc Hà" in \
            "\n".join(channel.texts("moi"))
        # Nobody removes their own role here.
        async with app.uows() as uow:
            own = await uow.session.scalar(select(Membership.id).where(
                Membership.role == "official"))
        status, _, _ = await browser.post(base + f"/web/workplace/people/{own}/remove",
                                          {"csrf": csrf})
        assert status == 404
    finally:
        await browser.close()


@pytest.mark.timeout(180)
async def test_an_administrator_imports_the_tree_with_row_numbered_messages(
        roster_app: App, channel: RecordingChannel) -> None:
    app = roster_app
    await say(app, "quantri", await invite(app, "DEMO_TINH", role="admin"))
    browser, base, csrf = await signed_in(app, channel, "quantri")
    before = await count(app, OrgUnit)

    async def upload(name: str, text: bytes) -> str:
        form = aiohttp.FormData()
        form.add_field("csrf", csrf)
        form.add_field("file", io.BytesIO(text), filename=name)
        status, page, _ = await browser.post(base + "/web/workplace/units/import", form)
        assert status == 200
        return page
    try:
        page = await upload("cay.csv", "ma,ten,ma_cap_tren,cap\nDEMO_CS7,CĐCS Mới,DEMO_X,Cơ sở\n"
                            .encode())
        assert "dòng 2" in text_of(page, "import-errors").lower(), text_of(page, "import-errors")
        assert await count(app, OrgUnit) == before
        page = await upload("../../etc/passwd", b"x")
        assert text_of(page, "import-errors") == "Tệp phải là CSV hoặc Excel (.xlsx)."
        page = await upload("cay.csv", "ma,ten,ma_cap_tren,cap\nDEMO_CS7,CĐCS Mới,DEMO_KCN,Cơ sở\n"
                            .encode())
        assert text_of(page, "import-done") == "Đã nhập: thêm 1 đơn vị, cập nhật 0 đơn vị."
        assert await count(app, OrgUnit) == before + 1
    finally:
        await browser.close()


@pytest.mark.timeout(180)
async def test_roster_routes_refuse_outside_the_subtree(
        roster_app: App, channel: RecordingChannel) -> None:
    app = roster_app
    await say(app, "kcn", await invite(app, "DEMO_KCN", role="official"))
    huyen, cs1 = await unit(app, "DEMO_HUYEN"), await unit(app, "DEMO_CS1")
    district, base, csrf = await signed_in(app, channel, "canbo")
    other, _, other_csrf = await signed_in(app, channel, "kcn")
    chair, _, chair_csrf = await signed_in(app, channel, "demo")
    nobody = Browser()
    try:
        await district.post(base + "/web/workplace/invites", {"csrf": csrf, "unit": str(huyen)})
        async with app.uows() as uow:
            invite_id = await uow.session.scalar(select(Invite.id).where(
                Invite.created_by.like("web:%")))
            role_id = await uow.session.scalar(select(Membership.id).where(
                Membership.unit_id == cs1))
        before = (await count(app, Invite, Invite.revoked_at.is_not(None)),
                  await count(app, Membership), await count(app, Invite))
        gets = [f"/web/workplace/units?unit={huyen}", f"/web/workplace/invites?unit={huyen}",
                f"/web/workplace/invites/sheet.pdf?unit={huyen}",
                f"/web/workplace/invites/sheet.png?unit={huyen}",
                f"/web/workplace/people?unit={cs1}"]
        posts = [(f"/web/workplace/invites/{invite_id}/revoke", {}),
                 (f"/web/workplace/people/{role_id}/remove", {}),
                 (f"/web/workplace/people/{role_id}/replace", {}),
                 ("/web/workplace/invites", {"unit": str(huyen)}),
                 ("/web/workplace/units/import", {})]
        for browser, token, want in ((other, other_csrf, 404), (chair, chair_csrf, 404),
                                     (nobody, "x", 401)):
            for path in gets:
                status, _, _ = await browser.get_bytes(base + path)
                assert status == want, (path, status)
            for path, data in posts:
                status, _, _ = await browser.post(base + path, {"csrf": token, **data})
                assert status == want, (path, status)
        status, _, _ = await district.post(base + "/web/workplace/units/import",
                                           {"csrf": csrf})
        assert status == 404  # an official does not import the tree
        after = (await count(app, Invite, Invite.revoked_at.is_not(None)),
                 await count(app, Membership), await count(app, Invite))
        assert after == before
        # Their own subtree's pages open for the other district.
        status, _ = await other.get(base + "/web/workplace/units")
        assert status == 200
    finally:
        for b in (district, other, chair, nobody):
            await b.close()


@pytest.mark.timeout(120)
async def test_without_the_policy_only_administrators_manage_people(
        db_url: str, clock: ManualClock, channel: RecordingChannel, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("org:\n  officials_manage: false\n", encoding="utf-8")
    async with serving(db_url, clock, channel, tmp_path / "media",
                       policy_file=str(policy)) as app:
        await say(app, "quantri", await invite(app, "DEMO_TINH", role="admin"))
        official, base, _ = await signed_in(app, channel, "canbo")
        admin, _, _ = await signed_in(app, channel, "quantri")
        try:
            status, _ = await official.get(base + "/web/workplace/units")
            assert status == 404
            status, page = await admin.get(base + "/web/workplace/units")
            assert status == 200 and 'id="import"' in page
        finally:
            await official.close()
            await admin.close()
