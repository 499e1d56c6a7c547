"""A report filled on one page: the same questions, checks and skip logic as the chat, the
card, the upload, and the submission through the same use case."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from storage.models import Incident
from tests.conftest import RecordingChannel
from tests.helpers import reports
from tests.web.client import Browser, ask_link, hidden, read, text_of
from tests.web.pages import JPEG, RAPID, form_data, post_page, start_rapid

CHAIR, OFFICIAL = "demo", "canbo"


async def test_the_rapid_report_on_one_page_without_javascript(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    link = await ask_link(web_app, channel, CHAIR)
    base = link.split("/web/")[0]
    _, home, _ = await browser.sign_in(link)
    page, url = await start_rapid(browser, base, home)
    # The branch question is there but hidden until "ngừng việc" is chosen.
    assert 'id="q-so_nguoi_ngung_viec" hidden' in page
    answers = {k: v for k, v in RAPID.items() if k != "so_nguoi_ngung_viec"}
    answers["so_nguoi_ngung_viec"] = "một trăm"  # not a number
    status, page, url = await post_page(browser, url, page, answers, photo=JPEG)
    assert status == 200 and "/card" not in url
    # The chat's own reason, beside the branch's question, now shown.
    assert text_of(page, "error-so_nguoi_ngung_viec") == "Cần một số nguyên (ví dụ 25)."
    assert 'id="q-so_nguoi_ngung_viec" hidden' not in page
    # A strike's head count is asked once: the workers-involved question is not shown.
    assert 'id="q-so_nguoi" hidden' in page and not text_of(page, "error-so_nguoi")
    assert "anh.jpg" in page  # the photo was kept while the rest was refused
    # What was typed comes back beside its reason; the good answers were kept.
    assert any(i.get("value") == "một trăm" for i in read(page).inputs)
    status, page, url = await post_page(browser, url, page, {"so_nguoi_ngung_viec": "1500"})
    assert status == 200 and url.endswith("/card"), page
    card = text_of(page, "card")
    assert "Số người ngừng việc1.500" in card  # a short noun, the Vietnamese number
    assert "Số người lao động liên quan" not in card
    channel.clear()
    status, done, url = await browser.post(url.rsplit("/", 1)[0] + "/send", {
        "csrf": hidden(page, "csrf"), "v": hidden(page, "v")})
    await web_app.delivery.drain()
    assert status == 200 and "/web/reports/" in url
    ref = text_of(done, "ref")
    assert ref.startswith("BC-2026-")
    stored = await reports(web_app)
    assert len(stored) == 1 and stored[0].ref == ref
    assert stored[0].answers["so_nguoi_ngung_viec"] == 1500
    assert stored[0].answers["linh_vuc"] == "ngung_viec"
    assert stored[0].answers["dinh_kem"][0]["kind"] == "photo"
    async with web_app.uows() as uow:
        incident = await uow.session.scalar(select(Incident))
    assert incident is not None and incident.severity == "khan_cap"
    assert any(ref in t for t in channel.texts(OFFICIAL))  # the official's alert
    # The chat keeps one record of it, not the twenty-odd prompts.
    said = channel.texts(CHAIR)
    assert len(said) == 1 and ref in said[0] and "trang web" in said[0]


async def test_each_answer_is_saved_as_it_is_given(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    """What the page's script does: one answer posted, the draft keeps it at once, and the
    server says which questions now apply and why an answer was refused."""
    link = await ask_link(web_app, channel, CHAIR)
    _, home, _ = await browser.sign_in(link)
    page, url = await start_rapid(browser, link.split("/web/")[0], home)
    headers = {"X-CSRF-Token": hidden(page, "csrf")}
    async with browser.http.post(url + "/answer", data={
            "v": hidden(page, "v"), "q.linh_vuc": "ngung_viec"}, headers=headers) as r:
        first = await r.json()
    assert "so_nguoi_ngung_viec" in first["visible"] and not first["errors"]
    async with browser.http.post(url + "/answer", data={
            "v": str(first["version"]), "q.so_nguoi_ngung_viec": "0"}, headers=headers) as r:
        second = await r.json()
    assert "1" in second["errors"]["so_nguoi_ngung_viec"]  # "from 1 to 100.000"
    async with browser.http.post(url + "/answer", data={
            "v": "1", "q.linh_vuc": "khac"}, headers=headers) as r:
        stale = await r.json()
    assert stale["stale"] is True
    async with browser.http.post(url + "/answer", data={
            "v": str(second["version"]), "q.linh_vuc": "khac"}) as r:
        assert r.status == 403  # no CSRF token
    _, page = await browser.get(url)
    assert any(i.get("value") == "ngung_viec" and "checked" in i for i in read(page).inputs)


async def test_a_refused_upload_keeps_the_rest_and_can_be_sent_again(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    link = await ask_link(web_app, channel, CHAIR)
    _, home, _ = await browser.sign_in(link)
    page, url = await start_rapid(browser, link.split("/web/")[0], home)
    data = form_data(page, {"linh_vuc": "tien_luong", "so_nguoi": "12"}, action="save")
    data.add_field("q.dinh_kem", b"<html><script>alert(1)</script>", filename="x.html",
                   content_type="image/jpeg")  # a page posing as a photo
    status, page, _ = await browser.post(url, data)
    assert status == 200 and text_of(page, "error-dinh_kem")
    assert any(i.get("value") == "12" for i in read(page).inputs)  # the rest was kept
    status, page, _ = await post_page(browser, url, page, {}, action="save", photo=JPEG)
    assert not text_of(page, "error-dinh_kem") and "anh.jpg" in page
    # Removed by mistake, sent again: one photo, not two.
    data = form_data(page, {}, action="save")
    data.add_field("remove", "dinh_kem:0")
    status, page, _ = await browser.post(url, data)
    assert "anh.jpg" not in page
    status, page, _ = await post_page(browser, url, page, {}, action="save", photo=JPEG)
    assert page.count("anh.jpg") == 1


async def test_the_page_is_light_and_says_it_in_english_for_an_english_reader(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    from tests.helpers import say
    link = await ask_link(web_app, channel, CHAIR)
    _, home, _ = await browser.sign_in(link)
    page, url = await start_rapid(browser, link.split("/web/")[0], home)
    base = link.split("/web/")[0]
    weight = len(page.encode())
    for asset in ("/web/static/site.css", "/web/static/form.js"):
        status, body, _ = await browser.get_bytes(base + asset)
        assert status == 200
        weight += len(body)
    assert weight < 100 * 1024, weight  # the form page, its style and its script
    await say(web_app, CHAIR, "/ngonngu", "2")
    _, page = await browser.get(url)
    assert "Continue" in page and "Tiếp tục" not in page


async def test_an_upload_past_the_limit_is_refused_in_words_and_changes_nothing(
        sqlite_url: str, clock: object, channel: RecordingChannel, tmp_path: object) -> None:
    from pathlib import Path

    from tests.web.conftest import serving
    async with serving(sqlite_url, clock, channel, Path(str(tmp_path)) / "m",  # type: ignore
                       attachments={"max_mb": 1}) as app:
        browser = Browser()
        try:
            link = await ask_link(app, channel, CHAIR)
            _, home, _ = await browser.sign_in(link)
            page, url = await start_rapid(browser, link.split("/web/")[0], home)
            big = JPEG + bytes(3 * 1024 * 1024)  # past 1 MB and the body's margin
            status, refused, _ = await post_page(browser, url, page, {"so_nguoi": "12"},
                                                 action="save", photo=big)
            assert status == 413 and "quá lớn" in text_of(refused, "notice")
            _, page = await browser.get(url)
            assert not any(i.get("value") == "12" for i in read(page).inputs)
        finally:
            await browser.close()
