"""A day: "5/11", "05/11/2026" or "2026-11-05"; stored as ISO, shown as 05/11/2026."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from bot.engine.answers import parse_date
from bot.engine.messages import Msg
from bot.engine.questions.base import Parsed, Plain

if TYPE_CHECKING:
    from bot.engine.form import Question


class Date(Plain):
    name = "date"

    def parse(self, text: str, q: Question, today: dt.date | None) -> Parsed:
        return parse_date(text, q, today)

    def card(self, value: Any, q: Question, lang: str) -> str | Msg:
        y, m, d = str(value).split("-")
        return f"{d}/{m}/{y}"

    def hint(self, q: Question, inputs: frozenset[str]) -> Msg | None:
        return Msg("hint.date")

    def cell(self, value: Any, q: Question, lang: str) -> Any:
        return dt.date.fromisoformat(str(value))  # a date cell, formatted by the writer


KIND = Date()
