"""Every report form in bot/forms/ is filled and sent on one page: the page is drawn from the
form (YAML) and its question types, so a form added there needs nothing here. (Forms that
become something else, a directive or a unit's dissemination, have their own tests in
tests/handlers/test_directives.py.)"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.app import App
from bot.engine.form import Question
from bot.engine.page import relevant
from bot.forms import load_catalog
from handlers.conversation.own_commands import RAPID_FORM
from storage.models import PeriodObligation
from tests.conftest import RecordingChannel
from tests.helpers import reports
from tests.web.client import Browser, ask_link, hidden, read
from tests.web.pages import post_page, start_rapid

CHAIR = "demo"
FORMS = sorted(k for k, f in load_catalog().forms.items() if f.becomes == "report")


def answer(q: Question, today: date) -> str | list[str] | None:
    """A valid answer of any type, from the question's own bounds and choices."""
    if q.kind.gathers or not q.required:
        return None
    if q.has_choices:
        return [q.choices[0].key] if q.kind.multi else q.choices[0].key
    if q.type in ("integer", "decimal"):
        return str(int(q.min or 0))
    if q.type == "date":
        return f"{today:%d/%m/%Y}"
    return "Nội dung " * max(2, (q.min_length or 0) // 9 + 1)


async def open_form(app: App, browser: Browser, base: str, home: str,
                    form_id: str) -> tuple[str, str]:
    if form_id == RAPID_FORM:
        return await start_rapid(browser, base, home)
    async with app.uows() as uow:
        await app.calendar.plan(uow, app.clock.now())  # type: ignore[union-attr]
        obligation = await uow.session.scalar(select(PeriodObligation.id).where(
            PeriodObligation.form_id == form_id).order_by(PeriodObligation.id).limit(1))
        await uow.commit()
    assert obligation is not None, form_id
    status, page, url = await browser.post(f"{base}/web/periodic/{obligation}",
                                           {"csrf": hidden(home, "csrf")})
    assert status == 200 and "/web/drafts/" in url, page
    return page, url


@pytest.mark.parametrize("form_id", FORMS)
async def test_each_form_is_filled_and_sent_on_one_page(
        form_id: str, web_app: App, channel: RecordingChannel, browser: Browser) -> None:
    form = web_app.engine.forms[form_id]
    link = await ask_link(web_app, channel, CHAIR)
    base = link.split("/web/")[0]
    _, home, _ = await browser.sign_in(link)
    page, url = await open_form(web_app, browser, base, home, form_id)
    names = {i.get("name") for i in read(page).inputs}
    for q in form.questions:  # every question has its field, labelled as in the form
        assert f"q.{q.key}" in names or f"q.{q.key}[]" in names, q.key
        assert q.text("vi") in page
    today = web_app.clock.now().date()
    answers = {q.key: a for q in form.questions if (a := answer(q, today)) is not None}
    status, card, card_url = await post_page(browser, url, page, answers)
    assert status == 200 and card_url.endswith("/card"), (form_id, card)
    status, done, done_url = await browser.post(card_url.rsplit("/", 1)[0] + "/send", {
        "csrf": hidden(card, "csrf"), "v": hidden(card, "v")})
    assert status == 200 and "/web/reports/" in done_url, done
    [stored] = await reports(web_app)
    assert stored.form_id == form_id
    # What applies is kept; what the answers made irrelevant (skip logic) is not.
    applies = {q.key for q in form.questions if q.key in answers
               and relevant(q, stored.answers)}
    assert applies <= set(stored.answers)
    assert not (set(answers) - applies) & set(stored.answers)
