"""The directives' pages, on both databases: members open their unit's link in a real
headless Chromium at phone width, read and confirm once per browser, and the district sees
the count; every directive route refuses another unit's or another subtree's id with a 404
and changes nothing; a member's POST without its browser's cookie and token is refused."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.clock import ManualClock
from bot.web.throttle import Throttle
from storage.directive_models import Directive, DirectiveRead, DirectiveRecipient
from tests.conftest import START, RecordingChannel, make_app
from tests.handlers.test_directives import WRITE
from tests.helpers import invite, say
from tests.web.client import Browser, ask_link, hidden
from tests.web.phone import Phone

MEMBER = re.compile(r"http://127\.0\.0\.1:\d+/web/m/[A-Za-z0-9_-]+")


async def published(app: App, channel: RecordingChannel) -> str:
    """The district's directive no. 1 to its three CĐCS; the link of CĐCS 1's members."""
    await say(app, "canbo", *WRITE, "gửi")
    link = MEMBER.search("\n".join(channel.texts("demo")))
    assert link is not None, channel.texts("demo")
    return link.group(0)


async def reads(app: App) -> list[tuple[int, int]]:
    async with app.uows() as uow:
        rows = await uow.session.execute(
            select(DirectiveRead.unit_id, func.count()).group_by(DirectiveRead.unit_id))
        return sorted((int(u), int(n)) for u, n in rows.all())


@pytest.fixture
async def phones() -> AsyncIterator[list[Phone]]:
    made = [Phone(javascript=True), Phone(javascript=False)]
    yield made
    for phone in made:
        await phone.close()


@pytest.mark.timeout(180)
async def test_members_read_and_confirm_once_per_browser_and_the_district_sees_it(
        web_app: App, channel: RecordingChannel, phones: list[Phone],
        browser: Browser) -> None:
    link = await published(web_app, channel)
    first, second = phones
    await first.open(link)
    assert "Triển khai Nghị quyết Đại hội Công đoàn tỉnh" in await first.text("#title")
    assert await first.text("main .hint") == "CĐCS Công ty TNHH May Bắc Hà"
    token = await first.run(lambda: first.driver.find_element(
        "css selector", "input[name=csrf]").get_attribute("value"))
    await first.click("#read")
    await first.wait("the thanks", lambda: first.driver.find_elements("css selector",
                                                                       "#thanks"))
    await first.screenshot("chi_dao-thanh_vien.png")
    # The same browser again: the page says so and offers no button; a replayed POST with
    # its own cookie and token is not counted a second time.
    await first.open(link)
    assert await first.shown("#already") and not first.driver.find_elements(
        "css selector", "#read")
    await first.run(lambda: first.driver.execute_script(
        "const f=document.createElement('form');f.method='post';"
        "f.action=location.pathname+'/read';const i=document.createElement('input');"
        "i.type='hidden';i.name='csrf';i.value=arguments[0];f.appendChild(i);"
        "document.body.appendChild(f);f.submit();", token))
    await first.wait("the page again", lambda: "read=0" in first.driver.current_url)
    assert await first.shown("#already")
    async with web_app.uows() as uow:
        unit = await uow.units.by_code("DEMO_CS1")
    assert unit is not None
    assert await reads(web_app) == [(unit.id, 1)]
    # Another phone, with JavaScript off: counted.
    await second.open(link)
    await second.click("#read")
    await second.wait("the thanks", lambda: second.driver.find_elements("css selector",
                                                                         "#thanks"))
    assert await reads(web_app) == [(unit.id, 2)]
    # The district's page and its chat figures say 2, as members' own confirmations.
    await browser.sign_in(await ask_link(web_app, channel, "canbo"))
    base = link.split("/web/")[0]
    status, page = await browser.get(f"{base}/web/directives/1")
    assert status == 200
    assert "Đoàn viên tự xác nhận đã đọc: 2 (số tự xác nhận, không phải bằng chứng)" in page
    assert f'id="unit-{unit.id}" data-state="pending"' in page
    channel.clear()
    await say(web_app, "canbo", "/chidao 1")
    assert "• Đoàn viên tự xác nhận đã đọc: 2" in channel.texts("canbo")[-1]


async def state(app: App) -> tuple[list[str], str]:
    async with app.uows() as uow:
        rows = (await uow.session.scalars(select(DirectiveRecipient.state)
                                          .order_by(DirectiveRecipient.id))).all()
        status = await uow.session.scalar(select(Directive.status).where(Directive.id == 1))
    return list(rows), str(status)


async def test_directive_routes_refuse_other_units_and_subtrees(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    link = await published(web_app, channel)
    base = link.split("/web/")[0]
    await say(web_app, "kcn", await invite(web_app, "DEMO_KCN", role="official"))
    before = await state(web_app)
    # An official of another subtree.
    _, home, _ = await browser.sign_in(await ask_link(web_app, channel, "kcn"))
    csrf = hidden(home, "csrf")
    for path in ("/web/directives/1", "/web/directives/1/file", "/web/directives/1/edit",
                 "/web/directives/r/1", "/web/directives/r/1/qr.png"):
        status, _ = await browser.get(base + path)
        assert status == 404, path
    for path in ("/web/directives/1/publish", "/web/directives/1/withdraw",
                 "/web/directives/1/discard", "/web/directives/1/correct",
                 "/web/directives/r/1/received", "/web/directives/r/1/disseminated"):
        status, _, _ = await browser.post(base + path, {
            "csrf": csrf, "title": "Tiêu đề đủ dài", "body": "Nội dung đủ dài để gửi",
            "due_on": "2026-12-20", "asks": "received", "reached": "5", "on": "2026-12-01",
            "method": "khac"})
        assert status == 404, path
    async with web_app.uows() as uow:
        huyen = await uow.units.by_code("DEMO_HUYEN")
        kcn = await uow.units.by_code("DEMO_KCN")
        cs1 = await uow.units.by_code("DEMO_CS1")
    assert huyen is not None and kcn is not None and cs1 is not None
    # Writing for a unit that is not theirs, or to units outside their subtree.
    for unit, units in ((huyen.id, ()), (kcn.id, (cs1.id,))):
        status, _, _ = await browser.post(base + "/web/directives", [
            ("csrf", csrf), ("unit", str(unit)), *(("units", str(u)) for u in units),
            ("title", "Tiêu đề đủ dài"), ("body", "Nội dung đủ dài để gửi"),
            ("due_on", "2026-12-20"), ("asks", "received")])
        assert status == 404
    # A chair: another unit's row, and the officials' pages.
    chair = Browser()
    try:
        _, home, _ = await chair.sign_in(await ask_link(web_app, channel, "demo"))
        for path in ("/web/directives/r/2", "/web/directives", "/web/directives/1"):
            status, _ = await chair.get(base + path)
            assert status == 404, path
        status, _, _ = await chair.post(base + "/web/directives/r/2/received",
                                        {"csrf": hidden(home, "csrf")})
        assert status == 404
        status, page = await chair.get(base + "/web/directives/r/1")  # its own
        assert status == 200 and "Chia sẻ cho đoàn viên" in page
        status, png, kind = await chair.get_bytes(base + "/web/directives/r/1/qr.png")
        assert status == 200 and kind == "image/png" and png.startswith(b"\x89PNG")
    finally:
        await chair.close()
    # Members: no cookie, or a token that is not the browser's, is refused; a made-up
    # link is not found.
    stranger = Browser()
    try:
        status, _, _ = await stranger.post(link + "/read", {"csrf": "x"})
        assert status == 403
        await stranger.get(link)  # now it has a cookie, but posts a wrong token
        status, _, _ = await stranger.post(link + "/read", {"csrf": "0" * 32})
        assert status == 403
        status, _ = await stranger.get(base + "/web/m/madeuptokenmadeup")
        assert status == 404
    finally:
        await stranger.close()
    assert await state(web_app) == before
    assert await reads(web_app) == []


async def test_members_confirmations_are_bounded_per_address(
        web_app: App, channel: RecordingChannel, tmp_path: Path) -> None:
    link = await published(web_app, channel)
    assert web_app.web is not None
    web_app.web.member_posts = Throttle(2)
    statuses = []
    for _ in range(3):  # three phones behind one address, in one minute
        member = Browser()
        try:
            _, page = await member.get(link)
            status, _, _ = await member.post(link + "/read", {"csrf": hidden(page, "csrf")})
            statuses.append(status)
        finally:
            await member.close()
    assert statuses == [200, 200, 429]
    assert [n for _, n in await reads(web_app)] == [2]
    # The bound is the configuration's.
    configured = make_app(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", ManualClock(START),
                          RecordingChannel(), http={"member_reads_per_address": 7})
    assert configured.web is not None and configured.web.member_posts.limit == 7
    await configured.close()


async def test_the_officials_list_shows_each_directive_with_its_figures(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    link = await published(web_app, channel)
    base = link.split("/web/")[0]
    _, home, _ = await browser.sign_in(await ask_link(web_app, channel, "canbo"))
    assert 'id="nav-directives"' in home
    status, page = await browser.get(base + "/web/directives")
    assert status == 200
    assert "Chỉ đạo số 1 · Triển khai Nghị quyết Đại hội Công đoàn tỉnh" in page
    assert "Đã nhận: 0/3 đơn vị (0%)" in page and "Đã quán triệt: 0/3 đơn vị (0%)" in page


async def test_what_an_official_types_is_shown_as_text_never_as_markup(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    link = await ask_link(web_app, channel, "canbo")
    base = link.split("/web/")[0]
    await browser.sign_in(link)
    status, form = await browser.get(base + "/web/directives/new")
    unit = re.search(r'name="unit" value="(\d+)"', form)
    assert status == 200 and unit is not None
    status, page, url = await browser.post(base + "/web/directives", {
        "csrf": hidden(form, "csrf"), "unit": unit.group(1),
        "title": "<script>alert(1)</script> Triển khai", "body": "<b>Nội dung</b> đủ dài",
        "due_on": "2026-12-20", "asks": "received"})
    assert status == 200 and url.endswith("/web/directives/1"), page
    assert "<script>alert(1)</script>" not in page and "<b>Nội dung</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Triển khai" in page
    # A file that is neither PDF nor Word is refused with the reason; nothing is stored.
    data = aiohttp.FormData()
    for name, value in (("csrf", hidden(form, "csrf")), ("unit", unit.group(1)),
                        ("title", "Tiêu đề đủ dài"), ("body", "Nội dung đủ dài để gửi"),
                        ("due_on", "2026-12-20"), ("asks", "received")):
        data.add_field(name, value)
    data.add_field("file", b"MZ\x90\x00 not a document", filename="x.pdf")
    status, page, _ = await browser.post(base + "/web/directives", data)
    assert status == 400 and "Chỉ đính kèm được tệp PDF hoặc Word (.docx)" in page
    async with web_app.uows() as uow:
        count = await uow.session.scalar(select(func.count()).select_from(Directive))
    assert count == 1


async def test_the_official_corrects_withdraws_and_discards_on_the_page(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    link = await published(web_app, channel)
    base = link.split("/web/")[0]
    await browser.sign_in(await ask_link(web_app, channel, "canbo"))
    status, form = await browser.get(base + "/web/directives/1/edit")
    assert status == 200 and "Triển khai Nghị quyết Đại hội Công đoàn tỉnh" in form
    channel.clear()
    status, page, url = await browser.post(base + "/web/directives/1/correct", {
        "csrf": hidden(form, "csrf"), "title": "Triển khai Nghị quyết (đính chính)",
        "body": "Đề nghị quán triệt trước ngày 20/12", "due_on": "20/12/2026",
        "asks": "disseminated"})
    assert status == 200 and url.endswith("done=corrected"), page
    assert "bản 2" in page and "Hạn 20/12/2026" in page
    await web_app.delivery.drain()
    assert channel.texts("demo")[-1].startswith("✏️ Văn bản chỉ đạo số 1 đã được đính chính")
    status, page, url = await browser.post(base + "/web/directives/1/withdraw",
                                           {"csrf": hidden(page, "csrf")})
    assert status == 200 and 'id="withdrawn"' in page
    assert await state(web_app) == (["pending"] * 3, "withdrawn")
    # A draft thrown away before it went out.
    status, form = await browser.get(base + "/web/directives/new")
    unit = re.search(r'name="unit" value="(\d+)"', form)
    assert unit is not None
    status, page, url = await browser.post(base + "/web/directives", {
        "csrf": hidden(form, "csrf"), "unit": unit.group(1), "title": "Một bản nháp",
        "body": "Nội dung đủ dài để gửi", "due_on": "2026-12-20", "asks": "received"})
    assert url.endswith("/web/directives/2")
    status, page, url = await browser.post(base + "/web/directives/2/discard",
                                           {"csrf": hidden(page, "csrf")})
    assert status == 200 and url.endswith("/web/directives")
    async with web_app.uows() as uow:
        left = (await uow.session.scalars(select(Directive.id))).all()
    assert list(left) == [1]
