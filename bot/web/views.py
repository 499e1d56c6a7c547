"""A draft as its page shows it: one field per question, from the form and its types.

Labels, choices, hints and the card's values come from the form (YAML), the question types
and the chat's renderer: the page shows the chat's own words, never a copy of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.engine.form import Question
from bot.engine.messages import Msg
from bot.engine.page import Raw, relevant
from bot.engine.questions.yes_no import NO, YES
from bot.i18n import Translator
from bot.web.signing import Signer
from handlers.reports.page import Draft
from handlers.reports.render import Renderer

LONG_TEXT = 200  # characters allowed above which a text answer gets a text area


@dataclass(frozen=True)
class ChoiceView:
    key: str
    label: str
    checked: bool


@dataclass(frozen=True)
class FileView:
    index: int
    label: str
    url: str | None
    photo: bool


@dataclass(frozen=True)
class FieldView:
    key: str
    type: str
    number: int
    label: str
    required: bool
    hint: str | None
    visible: bool
    value: str = ""
    choices: tuple[ChoiceView, ...] = ()
    files: tuple[FileView, ...] = ()
    error: str | None = None
    multiline: bool = False
    accept: str = ""
    max_length: int | None = None


@dataclass(frozen=True)
class CardLine:
    label: str
    value: str


class DraftViews:
    def __init__(self, translator: Translator, renderer: Renderer, signer: Signer) -> None:
        self.tr = translator
        self.renderer = renderer
        self.engine = renderer.engine
        self.signer = signer

    def fields(self, lang: str, draft: Draft, now: datetime, errors: Mapping[str, Msg],
               raw: Mapping[str, Raw]) -> list[FieldView]:
        form = self.engine.forms[draft.session.form_id]
        answers = draft.session.answers
        views = []
        number = 0
        for q in form.questions:
            shown = relevant(q, answers)
            number += 1 if shown else 0
            error = errors.get(q.key)
            views.append(FieldView(
                key=q.key, type=q.type, number=number, label=q.text(lang), required=q.required,
                hint=self._hint(lang, q), visible=shown,
                value=self._value(q, answers.get(q.key), raw.get(q.key), lang),
                choices=self._choices(q, answers.get(q.key), raw.get(q.key), lang),
                files=self._files(q, answers.get(q.key), now),
                error=self.tr.render(lang, error) if error else None,
                multiline=q.kind.free_text and (q.max_length or 0) > LONG_TEXT,
                accept=",".join(_accept(q)), max_length=q.max_length))
        return views

    def visible(self, draft: Draft) -> list[str]:
        form = self.engine.forms[draft.session.form_id]
        return [q.key for q in form.questions if relevant(q, draft.session.answers)]

    def card(self, lang: str, draft: Draft) -> list[CardLine]:
        return [CardLine(q.noun(lang),
                         self.renderer.value(lang, q, draft.session.answers.get(q.key)))
                for q in self.engine.card_questions(draft.session)]

    def _hint(self, lang: str, q: Question) -> str | None:
        hint = q.kind.hint(q, q.accept)
        if q.has_choices or q.kind.gathers:
            return None  # "type a number" is for chats; the page shows the choices
        return self.tr.render(lang, hint) if hint is not None else None

    def _value(self, q: Question, value: Any, raw: Raw | None, lang: str) -> str:
        if isinstance(raw, str):
            return raw  # what was typed, shown again beside its reason
        if value is None or q.has_choices or q.kind.gathers:
            return ""
        shown = q.kind.card(value, q, lang)
        return str(value) if isinstance(shown, Msg) else shown

    def _choices(self, q: Question, value: Any, raw: Raw | None,
                 lang: str) -> tuple[ChoiceView, ...]:
        if not q.has_choices:
            return ()
        if raw is not None:
            picked = {raw} if isinstance(raw, str) else set(raw)
        elif isinstance(value, bool):
            picked = {YES if value else NO}
        elif isinstance(value, list):
            picked = set(value)
        else:
            picked = {str(value)} if value is not None else set()  # a scale stores its number
        return tuple(ChoiceView(c.key, c.text(lang), c.key in picked) for c in q.choices)

    def _files(self, q: Question, value: Any, now: datetime) -> tuple[FileView, ...]:
        if not q.kind.gathers or not isinstance(value, list):
            return ()
        return tuple(FileView(i, str(item.get("name") or f"{item.get('kind')} {i + 1}"),
                              self.signer.path(str(item["ref"]), now)
                              if "/" in str(item.get("ref", "")) else None,
                              item.get("kind") == "photo")
                     for i, item in enumerate(value))


def _accept(q: Question) -> list[str]:
    """What a file input offers: the kinds the question takes that a page can upload."""
    table = {"photo": "image/*", "document": ".pdf,.doc,.docx,.xls,.xlsx"}
    return [table[k] for k in sorted(q.accept) if k in table]

