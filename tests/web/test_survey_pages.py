"""Survey campaigns on the web pages, on both databases: an official opens one for the CĐCS
under their unit (the shipped survey imported on first use) and every chair is sent the unit's
link; members answer anonymously on it, the form's skip logic and required answers checked
as in the chat, once per browser; the campaign's page counts them per unit; another subtree's
official gets nothing."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.app import App
from bot.web.throttle import Throttle
from storage.survey_models import FormDefinition, SurveyResponse
from tests.conftest import RecordingChannel
from tests.helpers import invite, say
from tests.web.client import Browser, ask_link, hidden
from tests.web.phone import Phone

SURVEY = re.compile(r"http://127\.0\.0\.1:\d+/web/s/[A-Za-z0-9_-]+")
ANSWERS = {"q.doi_song": "kho_khan_hon", "q.viec_lam": "du_viec", "q.thu_nhap": "tu_5_den_8",
           "q.hai_long": "4"}


async def opened(app: App, channel: RecordingChannel, browser: Browser) -> tuple[str, str]:
    """The district's campaign of the shipped survey; (base URL, CĐCS 1's members' link)."""
    link = await ask_link(app, channel, "canbo")
    base = link.split("/web/")[0]
    await browser.sign_in(link)
    status, form = await browser.get(base + "/web/surveys/new")
    assert status == 200 and 'value="khao_sat_doan_vien"' in form
    unit = re.search(r'name="unit" value="(\d+)"', form)
    assert unit is not None
    channel.clear()
    status, page, url = await browser.post(base + "/web/surveys", {
        "csrf": hidden(form, "csrf"), "unit": unit.group(1), "form": "khao_sat_doan_vien",
        "starts_on": "2026-11-17", "ends_on": "2026-11-30"})
    assert status == 200 and url.endswith("/web/surveys/1"), page
    await app.delivery.drain()
    [sent] = channel.texts("demo")
    assert sent.startswith("📋 Khảo sát «Khảo sát đoàn viên, người lao động» của Liên đoàn")
    found = SURVEY.search(sent)
    assert found is not None
    return base, found.group(0)


async def responses(app: App) -> list[tuple[int, dict[str, object]]]:
    async with app.uows() as uow:
        rows = (await uow.session.scalars(select(SurveyResponse)
                                          .order_by(SurveyResponse.id))).all()
    return [(r.unit_id, r.answers) for r in rows]


async def test_members_answer_anonymously_once_per_browser_and_the_district_counts_them(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    base, link = await opened(web_app, channel, browser)
    async with web_app.uows() as uow:
        [stored] = (await uow.session.scalars(select(FormDefinition))).all()
        cs1 = await uow.units.by_code("DEMO_CS1")
    assert (stored.form_id, stored.version) == ("khao_sat_doan_vien", 1) and cs1 is not None
    member = Browser()
    try:
        status, page = await member.get(link)
        assert status == 200 and "Phiếu ẩn danh: không hỏi tên" in page
        assert 'id="q-van_de"' in page and 'id="q-van_de_khac"' not in page  # skip logic
        token = hidden(page, "csrf")
        # "Khác" chosen: its question now applies, and it is required.
        status, page, _ = await member.post(link, [
            ("csrf", token), *ANSWERS.items(), ("q.van_de[]", "nha_o"),
            ("q.van_de[]", "khac")])
        assert status == 400 and 'id="error-van_de_khac"' in page
        assert 'value="khac" checked' in page and 'value="kho_khan_hon" checked' in page
        assert await responses(web_app) == []
        status, page, url = await member.post(link, [
            ("csrf", token), *ANSWERS.items(), ("q.van_de[]", "nha_o"),
            ("q.van_de[]", "khac"), ("q.van_de_khac", "Giá thuê trọ tăng"),
            ("q.tam_tu", "")])
        assert status == 200 and url.endswith("?sent=1") and 'id="thanks"' in page
        status, page, _ = await member.post(link, [("csrf", token), *ANSWERS.items(),
                                                   ("q.van_de[]", "tien_luong")])
        assert 'id="already"' in page  # the same browser: not a second response
    finally:
        await member.close()
    assert await responses(web_app) == [(cs1.id, {
        "doi_song": "kho_khan_hon", "viec_lam": "du_viec", "thu_nhap": "tu_5_den_8",
        "hai_long": 4, "van_de": ["nha_o", "khac"], "van_de_khac": "Giá thuê trọ tăng"})]
    other = Browser()
    try:
        _, page = await other.get(link)
        await other.post(link, [("csrf", hidden(page, "csrf")), *ANSWERS.items(),
                                ("q.van_de[]", "tien_luong"), ("q.tam_tu", "=1+1 tăng lương")])
    finally:
        await other.close()
    status, page = await browser.get(base + "/web/surveys/1")
    assert status == 200 and "Đã có 2 phiếu trả lời từ 3 CĐCS." in page
    assert re.search(rf'id="unit-{cs1.id}"><td>[^<]+</td><td>2</td>', page)
    # The export: a row per response, typed cells, and the summary.
    status, data, kind = await browser.get_bytes(base + "/web/surveys/1/export.xlsx")
    assert status == 200 and kind.startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Phiếu trả lời", "Tổng hợp"]
    sheet = list(book["Phiếu trả lời"].iter_rows(values_only=True))
    assert sheet[0][:5] == ("Mã đơn vị", "Đơn vị", "Thời gian trả lời",
                            "Đời sống của anh/chị năm nay so với năm trước", "Việc làm hiện nay")
    assert [r[:2] + r[3:] for r in sheet[1:]] == [
        ("DEMO_CS1", "CĐCS Công ty TNHH May Bắc Hà", "Khó khăn hơn", "Đủ việc làm",
         "Từ 5 đến dưới 8 triệu", 4, "Nhà ở; Khác", "Giá thuê trọ tăng", None, None),
        ("DEMO_CS1", "CĐCS Công ty TNHH May Bắc Hà", "Khó khăn hơn", "Đủ việc làm",
         "Từ 5 đến dưới 8 triệu", 4, "Tiền lương", None, "=1+1 tăng lương", None)]
    assert isinstance(sheet[1][2], datetime)
    assert book["Phiếu trả lời"]["J3"].data_type == "s"  # typed text, never a formula
    summary = list(book["Tổng hợp"].iter_rows(values_only=True))
    assert ("Số phiếu trả lời", "Liên đoàn Lao động huyện Bắc Hà (demo)", 2, None) in summary
    assert ("Mức độ hài lòng với hoạt động của công đoàn (1: rất không hài lòng, 5: rất hài "
            "lòng)?", "4", 2, 100) in summary


async def test_survey_routes_refuse_other_subtrees_and_bad_windows(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    base, link = await opened(web_app, channel, browser)
    status, form = await browser.get(base + "/web/surveys/new")
    status, page, _ = await browser.post(base + "/web/surveys", {
        "csrf": hidden(form, "csrf"), "unit": re.findall(r'name="unit" value="(\d+)"', form)[0],
        "form": "khao_sat_doan_vien", "starts_on": "2026-11-30", "ends_on": "2026-11-20"})
    assert status == 400 and "ngày kết thúc không trước ngày bắt đầu" in page
    await say(web_app, "kcn", await invite(web_app, "DEMO_KCN", role="official"))
    other = Browser()
    try:
        _, home, _ = await other.sign_in(await ask_link(web_app, channel, "kcn"))
        status, _ = await other.get(base + "/web/surveys/1")
        assert status == 404
        status, page = await other.get(base + "/web/surveys")
        assert status == 200 and 'id="survey-1"' not in page
        status, _ = await other.get(base + "/web/surveys/1/results")
        assert status == 404
        status, _ = await other.get(base + "/web/surveys/1/export.xlsx")
        assert status == 404
        async with web_app.uows() as uow:
            huyen = await uow.units.by_code("DEMO_HUYEN")
        assert huyen is not None
        status, _, _ = await other.post(base + "/web/surveys", {
            "csrf": hidden(home, "csrf"), "unit": str(huyen.id), "form": "khao_sat_doan_vien",
            "starts_on": "2026-11-17", "ends_on": "2026-11-30"})
        assert status == 404
    finally:
        await other.close()
    chair = Browser()
    try:
        await chair.sign_in(await ask_link(web_app, channel, "demo"))
        status, _ = await chair.get(base + "/web/surveys/new")
        assert status == 404
    finally:
        await chair.close()
    stranger = Browser()
    try:
        status, _, _ = await stranger.post(link, {"csrf": "x", **ANSWERS})
        assert status == 403
        status, _ = await stranger.get(base + "/web/s/madeuptokenmadeup")
        assert status == 404
        # Answers from one address are bounded like every member's page.
        assert web_app.web is not None
        web_app.web.member_posts = Throttle(1)
        _, page = await stranger.get(link)
        statuses = [(await stranger.post(link, {"csrf": hidden(page, "csrf")}))[0]
                    for _ in range(2)]
        assert statuses == [400, 429]  # the first is read (nothing answered), then refused
    finally:
        await stranger.close()
    assert await responses(web_app) == []
    # The officials' list shows the campaign to the district, not to the other subtree.
    status, page = await browser.get(base + "/web/surveys")
    assert status == 200 and 'id="survey-1"' in page


async def monthly(app: App, unit_code: str, members: int) -> None:
    async with app.uows() as uow:
        unit = await uow.units.by_code(unit_code)
        assert unit is not None
        await uow.reports.add(
            ref=f"BC-2026-{members:06d}", unit_id=unit.id, person_id=1, identity_id=None,
            form_id="bao_cao_thang", form_version=1, period="2026-10", category=None,
            severity=None, answers={"so_doan_vien": members}, submitted_at=app.clock.now())
        await uow.commit()


async def links(app: App) -> dict[str, str]:
    async with app.uows() as uow:
        return {u.code: s.token for s, u in await uow.surveys.units(1)}


@pytest.fixture
async def phones() -> AsyncIterator[list[Phone]]:
    made = [Phone(javascript=True), Phone(javascript=False), Phone(javascript=True)]
    yield made
    for phone in made:
        await phone.close()


async def answer_on(phone: Phone, url: str, life: str, text: str) -> None:
    await phone.open(url)
    assert "Phiếu ẩn danh" in await phone.text("#anonymous")
    await phone.click(f"input[name='q.doi_song'][value={life}]")
    await phone.click("input[name='q.viec_lam'][value=du_viec]")
    await phone.click("input[name='q.thu_nhap'][value=tu_8_den_12]")
    await phone.click("input[name='q.hai_long'][value='5']")
    await phone.click("input[name='q.van_de[]'][value=tien_luong]")
    await phone.type("#in-tam_tu", text)
    await phone.click("#send")
    await phone.wait("the thanks", lambda: phone.driver.find_elements("css selector",
                                                                       "#thanks"))


@pytest.mark.timeout(240)
async def test_members_answer_in_a_phone_browser_and_the_results_respect_privacy_by_level(
        web_app: App, channel: RecordingChannel, browser: Browser,
        phones: list[Phone]) -> None:
    base, _ = await opened(web_app, channel, browser)
    await monthly(web_app, "DEMO_CS1", 40)
    await monthly(web_app, "DEMO_CS2", 20)
    tokens = await links(web_app)
    first, second, third = phones
    cs1, cs2 = (f"{base}/web/s/{tokens[c]}" for c in ("DEMO_CS1", "DEMO_CS2"))
    await answer_on(first, cs1, "cai_thien", "Mong có thêm nhà trọ cho công nhân")
    await answer_on(second, cs1, "nhu_cu", "Tăng ca nhiều")
    await answer_on(third, cs2, "kho_khan_hon", "Lương thấp")
    await first.screenshot("khao_sat-thanh_vien.png")
    await first.open(cs1)  # the same browser: no second answer
    assert await first.shown("#already")
    assert not first.driver.find_elements("css selector", "#send")
    status, page = await browser.get(f"{base}/web/surveys/1/results")
    assert status == 200
    assert "3 phiếu trả lời từ 3 CĐCS." in page
    assert "Tỷ lệ trả lời: 5% của 60 đoàn viên." in page
    assert re.search(r'id="opt-doi_song-cai_thien">.*?1 \(33%\)', page)
    assert re.search(r'id="opt-hai_long-5">.*?3 \(100%\)', page) and "trung bình 5.0" in page
    assert "Mong có thêm nhà trọ cho công nhân" in page and "Lương thấp" in page
    # The province, above the district: counts, and no free text.
    await say(web_app, "tinh", await invite(web_app, "DEMO_TINH", role="official"))
    province = Browser()
    try:
        await province.sign_in(await ask_link(web_app, channel, "tinh"))
        status, page = await province.get(f"{base}/web/surveys/1/results")
        assert status == 200 and "3 phiếu trả lời từ 3 CĐCS." in page
        assert "Mong có thêm nhà trọ" not in page and "Lương thấp" not in page
        assert "3 ý kiến không hiển thị: chỉ cấp trên trực tiếp của đơn vị được đọc." in page
        status, data, _ = await province.get_bytes(f"{base}/web/surveys/1/export.xlsx")
        rows = list(load_workbook(io.BytesIO(data))["Phiếu trả lời"].iter_rows(
            values_only=True))
        assert [r[9] for r in rows[1:]] == ["(chỉ cấp trên trực tiếp được xem)"] * 3
    finally:
        await province.close()
