"""The pages in a real headless Chromium at phone width (360 px): with JavaScript off, the
rapid report is filled and sent through the plain forms."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from tests.conftest import RecordingChannel
from tests.helpers import reports
from tests.web.client import ask_link
from tests.web.pages import RAPID
from tests.web.phone import WIDTH, Phone

CHAIR = "demo"


@pytest.fixture
async def phone_no_js() -> AsyncIterator[Phone]:
    phone = Phone(javascript=False)
    yield phone
    await phone.close()


@pytest.mark.timeout(180)
async def test_with_javascript_off_the_rapid_report_is_filled_and_sent(
        web_app_sqlite: App, channel: RecordingChannel, phone_no_js: Phone) -> None:
    web_app = web_app_sqlite
    phone = phone_no_js
    await phone.open(await ask_link(web_app, channel, CHAIR))
    await phone.click("#sign-in")
    await phone.wait("the home page", lambda: "/web/" in phone.driver.current_url
                     and "login" not in phone.driver.current_url)
    await phone.click("button[id^=start-]")
    await phone.wait("the form", lambda: "/web/drafts/" in phone.driver.current_url)
    assert not await phone.shown("#q-so_nguoi_ngung_viec")  # its branch is not chosen yet
    await phone.click("input[name='q.linh_vuc'][value=ngung_viec]")
    await phone.click("input[name='q.muc_do'][value=khan_cap]")
    # Without a script the head-count field still shows; for a strike the server ignores it.
    await phone.type("#in-so_nguoi", "150")
    await phone.type("#in-mo_ta", RAPID["mo_ta"])
    await phone.click("input[name='q.tinh_trang'][value=can_ho_tro]")
    await phone.click("#next")
    # No script to show it: the server shows the branch's question, asked and required.
    await phone.wait_shown("#q-so_nguoi_ngung_viec")
    assert await phone.text("#error-so_nguoi_ngung_viec")
    await phone.type("#in-so_nguoi_ngung_viec", "120")
    # de_xuat applies now (tình trạng: cần hỗ trợ); optional, left empty.
    await phone.click("#next")
    await phone.wait("the card", lambda: phone.driver.current_url.endswith("/card"))
    assert "120" in await phone.text("#card")
    assert await phone.page_width() == (WIDTH, WIDTH)
    await phone.click("#send")
    await phone.wait("the report's number", lambda: "/web/reports/" in phone.driver.current_url)
    ref = await phone.text("#ref")
    assert ref.startswith("BC-2026-")
    [stored] = await reports(web_app)
    assert stored.ref == ref and stored.answers["so_nguoi_ngung_viec"] == 120
    assert "de_xuat" not in stored.answers and "so_nguoi" not in stored.answers
