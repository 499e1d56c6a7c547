"""What every question type says about its answers: how typed text becomes one, what the
draft does with presses and files, how an answer reads on the card and in the chat's hint,
and what goes into an Excel cell.

A type is one module in this package with a ``KIND``; ``bot/engine/questions/__init__.py``
lists them. A form names a type by its ``name``; the form loader refuses any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, Protocol

from bot.engine.messages import Msg

if TYPE_CHECKING:
    from bot.engine.form import Choice, Question

Parsed = tuple[Any, Msg | None]
# Where a type's choices come from: none, the question's own list, or the forms' yes/no.
ChoiceSource = Literal["none", "own", "yes_no"]


class QuestionKind(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def choices(self) -> ChoiceSource: ...

    @property
    def multi(self) -> bool:
        """Presses toggle choices; "done" takes the selection."""
        ...

    @property
    def gathers(self) -> bool:
        """Files are gathered one by one; "done" ends it."""
        ...

    @property
    def free_text(self) -> bool:
        """Typed words that may name workers (privacy by level)."""
        ...

    def parse(self, text: str, q: Question, today: date | None) -> Parsed:
        """Typed text as an answer, or the reason it is not one."""
        ...

    def chosen(self, key: str) -> Any:
        """The answer a pressed or typed choice key stands for."""
        ...

    def card(self, value: Any, q: Question, lang: str) -> str | Msg:
        """An answer as a person reads it on the confirmation card."""
        ...

    def hint(self, q: Question, inputs: frozenset[str]) -> Msg | None:
        """The line under the question that says what to type (``inputs``: what the
        person's messenger can deliver)."""
        ...

    def cell(self, value: Any, q: Question, lang: str) -> Any:
        """The Excel cell's value (a ``Msg`` is translated by the writer)."""
        ...


class Plain:
    """Defaults: a typed answer, shown and exported as typed."""

    choices: ChoiceSource = "none"
    multi = False
    gathers = False
    free_text = False

    def chosen(self, key: str) -> Any:
        return key

    def card(self, value: Any, q: Question, lang: str) -> str | Msg:
        return str(value)

    def hint(self, q: Question, inputs: frozenset[str]) -> Msg | None:
        return None

    def cell(self, value: Any, q: Question, lang: str) -> Any:
        return value


def label(choices: Sequence[Choice], key: str, lang: str) -> str:
    return next((c.text(lang) for c in choices if c.key == key), key)


def grouped(value: float) -> str:
    """A number as Vietnamese writes it: 1.500.000."""
    return f"{int(value):,}".replace(",", ".") if float(value).is_integer() else str(value)
