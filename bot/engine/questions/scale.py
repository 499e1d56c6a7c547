"""A point on a scale (1–5 "how satisfied"): chosen like a choice (a button, its number or
its label), stored as the number itself, so results can count it and average it."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from bot.engine.answers import match_choice
from bot.engine.messages import Msg
from bot.engine.questions.base import ChoiceSource, Parsed, Plain, label

if TYPE_CHECKING:
    from bot.engine.form import Question


class Scale(Plain):
    name = "scale"
    choices: ChoiceSource = "own"  # one per point, keyed by the number ("1".."5")

    def chosen(self, key: str) -> Any:
        return int(key)

    def parse(self, text: str, q: Question, today: date | None) -> Parsed:
        key, err = match_choice(text, q.choices)
        return (self.chosen(key), None) if err is None else (None, err)

    def card(self, value: Any, q: Question, lang: str) -> str | Msg:
        return label(q.choices, str(value), lang)

    def cell(self, value: Any, q: Question, lang: str) -> Any:
        return int(value)


KIND = Scale()
