"""A whole form on one page: answers given together, read by the same question types as chat.

The chat takes one answer a step; a phone page sends every answer at once. Both change the
same draft (``Session``): each answer is read by its question's type (``q.kind.parse`` for
typed text, the question's choices for a picked key), in form order, so an earlier answer
decides whether a later question applies (skip logic) exactly as in the chat. A refused answer
keeps the draft's earlier answer and comes back with the reason, as in the chat. Nothing here
knows about HTML: the page hands over strings, and gets back the new draft and the reasons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.engine import effects as fx
from bot.engine.conversation import Engine, Outcome
from bot.engine.form import Question, beyond
from bot.engine.messages import Msg
from bot.engine.session import CONFIRM, Session
from bot.engine.text import clean

# What a page sends for one question: typed text, a picked key, or the keys ticked.
Raw = str | Sequence[str]


@dataclass(frozen=True)
class Filled:
    """The draft after a page's answers (``outcome.session``), and each refused answer's
    reason by question key."""

    outcome: Outcome
    errors: Mapping[str, Msg] = field(default_factory=dict)

    @property
    def session(self) -> Session:
        assert self.outcome.session is not None
        return self.outcome.session

    @property
    def at_card(self) -> bool:
        return self.session.step == CONFIRM and not self.errors


def relevant(q: Question, answers: Mapping[str, Any]) -> bool:
    return q.relevant is None or q.relevant.holds(answers)


def fill(engine: Engine, session: Session, raw: Mapping[str, Raw], today: date | None,
         *, finish: bool = False) -> Filled:
    """Apply a page's answers. Questions absent from ``raw`` keep their answers; an empty
    one is unanswered. With ``finish`` the person asks for the card: optional questions left
    empty count as skipped and a required one left empty is refused with its reason."""
    form = engine.forms[session.form_id]
    s = session.copy()
    errors: dict[str, Msg] = {}
    for q in form.questions:
        if q.kind.gathers or q.key not in raw or not relevant(q, s.answers):
            continue
        value, error = read(engine, q, raw[q.key], today)
        error = error or beyond(q, value, s.answers, form)
        if error is not None:
            errors[q.key] = error
        elif value is None:
            s.answers.pop(q.key, None)
        else:
            s.answers[q.key] = value
            if q.key in s.skipped:
                s.skipped.remove(q.key)
    if finish:
        _finish(form.questions, s, errors)
    # "Back" in the chat walks the answers in form order, wherever they were given.
    s.history = [q.key for q in form.questions
                 if relevant(q, s.answers) and (q.key in s.answers or q.key in s.skipped)]
    outcome = engine.settle(s)
    return Filled(outcome, errors)


def _finish(questions: Sequence[Question], s: Session, errors: dict[str, Msg]) -> None:
    for q in questions:
        if not relevant(q, s.answers) or q.key in s.answers or q.key in errors:
            continue
        if q.required:
            errors[q.key] = Msg("error.required")
        elif q.key not in s.skipped:
            s.skipped.append(q.key)


def read(engine: Engine, q: Question, raw: Raw, today: date | None) -> tuple[Any, Msg | None]:
    """One answer as the page sent it: (value, None), (None, None) for no answer, or
    (None, reason)."""
    if q.kind.multi:
        keys = [raw] if isinstance(raw, str) else list(raw)
        keys = [k for k in (clean(k) for k in keys) if k]
        known = [c.key for c in q.choices]
        if any(k not in known for k in keys):
            return None, Msg("error.choice_unknown", count=0)
        return ([k for k in known if k in keys] or None), None
    text = clean(raw if isinstance(raw, str) else (raw[0] if raw else ""))
    if not text:
        return None, None
    if q.has_choices:
        if text not in {c.key for c in q.choices}:
            return None, Msg("error.choice_unknown", count=0)
        return q.kind.chosen(text), None
    return q.kind.parse(text, q, today)


def refusal(outcome: Outcome) -> Msg | None:
    """The reason an attachment was refused (the engine re-asks with it), if it was."""
    for effect in outcome.effects:
        if isinstance(effect, fx.Ask) and effect.error is not None:
            return effect.error
    return None


def detach(engine: Engine, session: Session, key: str, index: int) -> Outcome:
    """Take back one file of question ``key`` (a wrong photo); out of range changes
    nothing."""
    s = session.copy()
    items = list(s.answers.get(key) or [])
    if 0 <= index < len(items):
        items.pop(index)
        if items:
            s.answers[key] = items
        else:
            s.answers.pop(key, None)
    return engine.settle(s)
