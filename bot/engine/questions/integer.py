"""A whole number, within the question's bounds; "1.500.000" and "1 500 000" are one number."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from bot.engine.answers import parse_number
from bot.engine.messages import Msg
from bot.engine.questions.base import Parsed, Plain, grouped

if TYPE_CHECKING:
    from bot.engine.form import Question


def number_hint(q: Question) -> Msg:
    if q.min is not None and q.max is not None:
        return Msg("hint.number_range", min=grouped(q.min), max=grouped(q.max))
    return Msg("hint.number")


class Integer(Plain):
    name = "integer"

    def parse(self, text: str, q: Question, today: date | None) -> Parsed:
        return parse_number(text, q, whole=True)

    def card(self, value: Any, q: Question, lang: str) -> str | Msg:
        return f"{int(value):,}".replace(",", ".")

    def hint(self, q: Question, inputs: frozenset[str]) -> Msg | None:
        return number_hint(q)


KIND = Integer()
