"""Question types, one module each (see base.py for what a type says).

A new type, a 1–5 scale for surveys say, is a module here with its ``KIND``, one entry in
``KINDS`` below, its tests and its locale strings.
"""

from __future__ import annotations

from bot.engine.questions import (
    attachments,
    choice,
    date,
    decimal,
    integer,
    multi_choice,
    scale,
    text,
    yes_no,
)
from bot.engine.questions.base import QuestionKind
from bot.engine.registry import Registry


def registry(*kinds: QuestionKind) -> Registry[str, QuestionKind]:
    found: Registry[str, QuestionKind] = Registry("question type")
    for kind in kinds:
        found.add(kind.name, kind)
    return found


KINDS = registry(choice.KIND, multi_choice.KIND, yes_no.KIND, integer.KIND, decimal.KIND,
                 text.KIND, date.KIND, attachments.KIND, scale.KIND)
