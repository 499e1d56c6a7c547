"""Yes or no, from the forms' shared choices (common.yaml); stored as true or false."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from bot.engine.answers import match_choice
from bot.engine.messages import Msg
from bot.engine.questions.base import ChoiceSource, Parsed, Plain, label

if TYPE_CHECKING:
    from bot.engine.form import Question

YES, NO = "co", "khong"


class YesNo(Plain):
    name = "yes_no"
    choices: ChoiceSource = "yes_no"

    def chosen(self, key: str) -> Any:
        return key == YES

    def parse(self, text: str, q: Question, today: date | None) -> Parsed:
        key, err = match_choice(text, q.choices)
        return (self.chosen(key), None) if err is None else (None, err)

    def card(self, value: Any, q: Question, lang: str) -> str | Msg:
        return label(q.choices, YES if value else NO, lang)

    def cell(self, value: Any, q: Question, lang: str) -> Any:
        return Msg("export.yes") if value else Msg("export.no")


KIND = YesNo()
