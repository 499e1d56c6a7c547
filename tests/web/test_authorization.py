"""Every page route with an id, given another unit's id: refused as not found, and nothing
changes. Officials above a unit open its reports; its words only at the direct upper level."""

from __future__ import annotations

import io
from datetime import timedelta

import aiohttp
from sqlalchemy import func, select

from bot.app import App
from bot.clock import ManualClock
from handlers.conversation.draft_state import DraftState
from storage.models import Conversation, PeriodObligation, Report
from tests.conftest import RecordingChannel
from tests.helpers import NGUNG_VIEC, invite, reports, say
from tests.web.client import Browser, ask_link, hidden, text_of
from tests.web.pages import JPEG, RAPID, post_page, start_rapid

CHAIR_A, CHAIR_B = "demo", "binh"


async def other_units_things(app: App) -> tuple[int, int, int, int]:
    """Chair B (another unit): a sent report, an open draft, and its unit's obligation."""
    await say(app, CHAIR_B, await invite(app, "DEMO_CS4"))
    await say(app, CHAIR_B, *NGUNG_VIEC, "gui", "/baocao", "7")
    async with app.uows() as uow:
        report = await uow.session.scalar(select(Report).order_by(Report.id.desc()))
        conv = await uow.session.scalar(select(Conversation).where(
            Conversation.form_id.is_not(None)))
        unit_id = report.unit_id if report else 0
        await app.calendar.plan(uow, app.clock.now())  # type: ignore[union-attr]
        obligation = await uow.session.scalar(select(PeriodObligation.id).where(
            PeriodObligation.unit_id == unit_id).limit(1))
        await uow.commit()
    assert report is not None and conv is not None and obligation is not None
    return report.id, conv.id, unit_id, obligation


async def draft_of(app: App, conv_id: int) -> dict[str, object]:
    async with app.uows() as uow:
        conv = await uow.conversations.get(conv_id)
        session = DraftState.of(conv).session
    assert session is not None
    return {"answers": session.answers, "version": session.version}


async def test_another_units_ids_fail_on_every_route(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    report_id, conv_id, unit_id, obligation = await other_units_things(web_app)
    before = await draft_of(web_app, conv_id)
    link = await ask_link(web_app, channel, CHAIR_A)
    base = link.split("/web/")[0]
    _, home, _ = await browser.sign_in(link)
    csrf, v = hidden(home, "csrf"), str(before["version"])
    photo = aiohttp.FormData()
    for name, value in (("csrf", csrf), ("v", v), ("action", "next")):
        photo.add_field(name, value)
    photo.add_field("q.dinh_kem", io.BytesIO(JPEG), filename="x.jpg")
    d = f"{base}/web/drafts/{conv_id}"
    gets = [d, d + "/card", f"{base}/web/reports/{report_id}"]
    posts = [
        (d, {"csrf": csrf, "v": v, "action": "next", "q.linh_vuc": "khac"}),
        (d, photo),
        (d + "/answer", {"csrf": csrf, "v": v, "q.linh_vuc": "khac"}),
        (d + "/files/remove", {"csrf": csrf, "v": v, "remove": "dinh_kem:0"}),
        (d + "/send", {"csrf": csrf, "v": v}),
        (d + "/cancel", {"csrf": csrf, "v": v}),
        (f"{base}/web/periodic/{obligation}", {"csrf": csrf}),
        (f"{base}/web/start", {"csrf": csrf, "form": "bao_cao_nhanh", "unit": str(unit_id)}),
    ]
    for url in gets:
        status, page = await browser.get(url)
        assert status == 404, url
        assert "May Bắc Hà" not in page and "Giày Da" not in page, url
    for url, data in posts:
        status, page, _ = await browser.post(url, data)
        assert status == 404, url
    assert await draft_of(web_app, conv_id) == before
    assert len(await reports(web_app)) == 1
    async with web_app.uows() as uow:  # chair A started nothing for B's unit
        drafts = await uow.session.scalar(select(func.count()).select_from(Conversation)
                                          .where(Conversation.form_id.is_not(None)))
    assert drafts == 1


async def test_officials_above_open_a_report_and_read_its_words_only_one_level_up(
        web_app: App, channel: RecordingChannel, browser: Browser, clock: ManualClock) -> None:
    await say(web_app, "kcn", await invite(web_app, "DEMO_KCN", role="official"))
    await say(web_app, "tinh", await invite(web_app, "DEMO_TINH", role="official"))
    # Chair B files on the page, with a photo.
    await say(web_app, CHAIR_B, await invite(web_app, "DEMO_CS4"))
    link = await ask_link(web_app, channel, CHAIR_B)
    base = link.split("/web/")[0]
    _, home, _ = await browser.sign_in(link)
    page, url = await start_rapid(browser, base, home)
    _, card, card_url = await post_page(browser, url, page, RAPID, photo=JPEG)
    _, done, report_url = await browser.post(card_url.rsplit("/", 1)[0] + "/send", {
        "csrf": hidden(card, "csrf"), "v": hidden(card, "v")})
    assert "/web/reports/" in report_url
    photo_src = done.split('<img src="', 1)[1].split('"', 1)[0]
    for who, words, photo in (("kcn", True, True), ("tinh", False, False),
                              ("demo", None, None)):
        other = Browser()
        try:
            _, _, _ = await other.sign_in(await ask_link(web_app, channel, who))
            status, page = await other.get(report_url.split("?")[0])
            if words is None:
                assert status == 404  # a chair of another unit
                continue
            assert status == 200 and text_of(page, "ref").startswith("BC-")
            assert (RAPID["mo_ta"] in page) is words
            assert ("<img" in page) is photo
        finally:
            await other.close()
    # The photo's signed address works; altered, or past its end, it does not.
    status, body, kind = await browser.get_bytes(base + photo_src)
    assert status == 200 and body == JPEG and kind == "image/jpeg"
    status, _, _ = await browser.get_bytes(base + photo_src[:-3] + "AAA")
    assert status == 404
    clock.advance(timedelta(hours=73))
    status, _, _ = await browser.get_bytes(base + photo_src)
    assert status == 404
