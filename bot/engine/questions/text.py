"""Free text within the question's lengths. It may name workers: privacy by level decides
who reads it (handlers/people/privacy.py)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.engine.answers import parse_text
from bot.engine.messages import Msg
from bot.engine.questions.base import Parsed, Plain

if TYPE_CHECKING:
    from bot.engine.form import Question


class Text(Plain):
    name = "text"
    free_text = True

    def parse(self, text: str, q: Question, today: date | None) -> Parsed:
        return parse_text(text, q)

    def hint(self, q: Question, inputs: frozenset[str]) -> Msg | None:
        if q.min_length and q.max_length:
            return Msg("hint.text_range", min=q.min_length, max=q.max_length)
        if q.max_length:
            return Msg("hint.text_max", max=q.max_length)
        return None


KIND = Text()
