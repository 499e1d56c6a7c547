"""One of a list: by button, number, label or alias (diacritics optional)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from bot.engine.answers import match_choice
from bot.engine.messages import Msg
from bot.engine.questions.base import ChoiceSource, Parsed, Plain, label

if TYPE_CHECKING:
    from bot.engine.form import Question


class SingleChoice(Plain):
    name = "choice"
    choices: ChoiceSource = "own"

    def parse(self, text: str, q: Question, today: date | None) -> Parsed:
        key, err = match_choice(text, q.choices)
        return (self.chosen(key), None) if err is None else (None, err)

    def card(self, value: Any, q: Question, lang: str) -> str | Msg:
        return label(q.choices, value, lang)

    def cell(self, value: Any, q: Question, lang: str) -> Any:
        return label(q.choices, value, lang)


KIND = SingleChoice()
