"""One draft, two surfaces: the chat and the page share the draft, its timers, and a page
older than the draft is shown again rather than overwriting it."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from tests.conftest import RecordingChannel
from tests.helpers import reports, say
from tests.web.client import Browser, ask_link, hidden, read, text_of
from tests.web.pages import RAPID, post_page

CHAIR = "demo"


def checked(page: str, key: str) -> list[str]:
    return [i["value"] for i in read(page).inputs
            if i.get("name") == f"q.{key}" and "checked" in i]


def value(page: str, key: str) -> str:
    return next(i.get("value", "") for i in read(page).inputs if i.get("name") == f"q.{key}")


async def test_three_answers_in_chat_the_rest_on_the_page_one_edit_back_in_chat(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    await say(web_app, CHAIR, "/baocao", "7", "120", "khan cap")
    link = await ask_link(web_app, channel, CHAIR)
    status, page, url = await browser.sign_in(link)  # straight to the open draft
    assert status == 200 and "/web/drafts/" in url
    assert checked(page, "linh_vuc") == ["ngung_viec"]
    assert value(page, "so_nguoi_ngung_viec") == "120"
    assert checked(page, "muc_do") == ["khan_cap"]
    rest = {k: RAPID[k] for k in ("mo_ta", "tinh_trang", "de_xuat")}
    status, card, card_url = await post_page(browser, url, page, rest)
    assert card_url.endswith("/card"), card
    # Back in the chat, the draft stands at its card: change one answer and send it there.
    channel.clear()
    await say(web_app, CHAIR, "sua 2", "130", "gui")
    assert any("BC-2026-" in t for t in channel.texts(CHAIR))
    # The page's card is older than the draft (which is gone): sending it changes nothing.
    status, page, _ = await browser.post(card_url.rsplit("/", 1)[0] + "/send", {
        "csrf": hidden(card, "csrf"), "v": hidden(card, "v")})
    assert status == 404 and text_of(page, "notice")
    stored = await reports(web_app)
    assert len(stored) == 1
    assert stored[0].answers["so_nguoi_ngung_viec"] == 130
    assert "so_nguoi" not in stored[0].answers  # a strike's head count is asked once
    assert stored[0].answers["de_xuat"] == RAPID["de_xuat"]


async def test_a_page_older_than_the_draft_reloads_instead_of_overwriting(
        web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    link = await ask_link(web_app, channel, CHAIR)
    _, home, _ = await browser.sign_in(link)
    from tests.web.pages import start_rapid
    page, url = await start_rapid(browser, link.split("/web/")[0], home)
    await say(web_app, CHAIR, "7")  # answered in the chat meanwhile
    status, again, _ = await post_page(browser, url, page, {"linh_vuc": "tien_luong"},
                                       action="save")
    assert status == 200 and text_of(again, "stale")
    assert checked(again, "linh_vuc") == ["ngung_viec"]  # the chat's answer stands
    # The reloaded page carries the draft's version: now it saves.
    _, saved, _ = await post_page(browser, url, again, {"linh_vuc": "tien_luong"},
                                  action="save")
    assert not text_of(saved, "stale") and checked(saved, "linh_vuc") == ["tien_luong"]
    # And the chat continues after the page's answer: "Mức độ?" is answered, then the
    # number of workers is asked.
    channel.clear()
    await say(web_app, CHAIR, "khan cap")
    assert "Số người lao động liên quan" in channel.texts(CHAIR)[-1]


async def test_page_answers_move_the_drafts_expiry_like_chat_answers(
        web_app: App, channel: RecordingChannel, browser: Browser, clock: object) -> None:
    link = await ask_link(web_app, channel, CHAIR)
    _, home, _ = await browser.sign_in(link)
    from tests.web.pages import start_rapid
    page, url = await start_rapid(browser, link.split("/web/")[0], home)
    clock.advance(timedelta(days=6))  # type: ignore[attr-defined]
    _, page, _ = await post_page(browser, url, page, {"linh_vuc": "tien_luong"}, action="save")
    clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    await web_app.fires.run_once()
    await web_app.delivery.drain()
    # Past the first week (and the browser's session): the draft is still there.
    status, page, landed = await browser.sign_in(await ask_link(web_app, channel, CHAIR))
    assert status == 200 and landed == url and checked(page, "linh_vuc") == ["tien_luong"]
    clock.advance(timedelta(days=6))  # type: ignore[attr-defined]
    await web_app.fires.run_once()
    await web_app.delivery.drain()
    assert any("quá hạn" in t for t in channel.texts(CHAIR))  # expired, and the chat told
    status, page = await browser.get(url)
    assert status == 404 and text_of(page, "notice")
