"""Photos and files sent one by one, then "done"; the card and the export count them."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from bot.engine.messages import Msg
from bot.engine.questions.base import Parsed, Plain

if TYPE_CHECKING:
    from bot.engine.form import Question


class Attachments(Plain):
    name = "attachments"
    gathers = True

    def parse(self, text: str, q: Question, today: date | None) -> Parsed:
        return None, Msg("error.attachment_expected")

    def card(self, value: Any, q: Question, lang: str) -> str | Msg:
        return Msg("card.attachments", count=len(value))

    def hint(self, q: Question, inputs: frozenset[str]) -> Msg | None:
        if q.accept & inputs == {"photo"}:
            return Msg("hint.attachments_photos")  # a messenger that delivers photos only
        return Msg("hint.attachments")

    def cell(self, value: Any, q: Question, lang: str) -> Any:
        return len(value)


KIND = Attachments()
