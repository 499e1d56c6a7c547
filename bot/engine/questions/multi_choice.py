"""Several of a list: buttons toggle, then "done"; or typed as "1 3 5" or labels."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from bot.engine.answers import parse_multi
from bot.engine.messages import Msg
from bot.engine.questions.base import ChoiceSource, Parsed, Plain, label

if TYPE_CHECKING:
    from bot.engine.form import Question


class MultiChoice(Plain):
    name = "multi_choice"
    choices: ChoiceSource = "own"
    multi = True

    def parse(self, text: str, q: Question, today: date | None) -> Parsed:
        return parse_multi(text, q)

    def card(self, value: Any, q: Question, lang: str) -> str | Msg:
        return ", ".join(label(q.choices, k, lang) for k in value)

    def cell(self, value: Any, q: Question, lang: str) -> Any:
        return "; ".join(label(q.choices, k, lang) for k in value)


KIND = MultiChoice()
