"""A number with a fraction ("12,5" or "12.5"), stored as its exact text."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from bot.engine.answers import parse_number
from bot.engine.messages import Msg
from bot.engine.questions.base import Parsed, Plain
from bot.engine.questions.integer import number_hint

if TYPE_CHECKING:
    from bot.engine.form import Question


class Decimal(Plain):
    name = "decimal"

    def parse(self, text: str, q: Question, today: date | None) -> Parsed:
        return parse_number(text, q, whole=False)

    def card(self, value: Any, q: Question, lang: str) -> str | Msg:
        whole, _, part = f"{float(value):,.6f}".rstrip("0").rstrip(".").partition(".")
        whole = whole.replace(",", ".")  # 12,500.5 -> 12.500,5: the Vietnamese way
        return f"{whole},{part}" if part else whole

    def hint(self, q: Question, inputs: frozenset[str]) -> Msg | None:
        return number_hint(q)


KIND = Decimal()
