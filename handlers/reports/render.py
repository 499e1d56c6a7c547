"""Turning engine effects into neutral outbound messages in the person's language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot.channels.base import Option, OutboundMessage
from bot.engine import effects as fx
from bot.engine.conversation import Engine
from bot.engine.form import ATTACHMENT_KINDS, Form, Question
from bot.engine.messages import Msg
from bot.engine.questions.base import label
from bot.engine.session import Session
from bot.i18n import Translator
from storage.models import Report


class Renderer:
    def __init__(self, translator: Translator, engine: Engine, tz: ZoneInfo) -> None:
        self.tr = translator
        self.engine = engine
        self.tz = tz

    def effect(self, lang: str, session: Session, effect: fx.Effect,
               inputs: frozenset[str] = ATTACHMENT_KINDS) -> OutboundMessage | None:
        """``inputs``: the attachment kinds the person's messenger delivers (Zalo: photos),
        so a question asks only for what can arrive."""
        form = self.engine.forms[session.form_id]
        if isinstance(effect, fx.Ask):
            return self.ask(lang, form, session, form.question(effect.question), effect.error,
                            inputs)
        if isinstance(effect, fx.Confirm):
            return self.confirm(lang, form, session, effect.version, effect.error)
        if isinstance(effect, fx.PickEdit):
            return self.pick_edit(lang, form, session, effect.version, effect.error)
        if isinstance(effect, fx.Say):
            return OutboundMessage(self.tr.render(lang, effect.message))
        return None

    def ask(
        self, lang: str, form: Form, session: Session, q: Question, error: Msg | None,
        inputs: frozenset[str] = ATTACHMENT_KINDS,
    ) -> OutboundMessage:
        t = self.tr.text
        lines = [self.tr.render(lang, error)] if error else []
        # The question's place among those that apply to these answers: stable under edits.
        applicable = [x.key for x in form.questions if x.relevant is None
                      or x.relevant.holds(session.answers) or x.key == q.key]
        number = applicable.index(q.key) + 1
        title = t(lang, "ask.heading", number=number, question=q.text(lang))
        if not q.required:
            title += " " + t(lang, "ask.optional")
        lines.append(title)
        hint = self._type_hint(lang, q, inputs)
        if hint:
            lines.append(hint)
        if q.kind.multi and session.selection:
            picked = ", ".join(label(q.choices, k, lang) for k in session.selection)
            lines.append(t(lang, "ask.selected", items=picked))
        if q.kind.gathers and session.answers.get(q.key):
            lines.append(t(lang, "ask.attached", count=len(session.answers[q.key])))
        actions = ["back"] if session.history or session.editing else []
        if not q.required:
            actions.append("skip")
        if q.kind.multi or q.kind.gathers:
            actions.append("done")
        actions.append("cancel")
        choices = tuple(Option(c.key, c.text(lang)) for c in q.choices) if q.has_choices else ()
        number_hint = None
        if choices:
            key = "ask.number_hint_multi" if q.kind.multi else "ask.number_hint"
            number_hint = t(lang, key, count=len(choices))
        return OutboundMessage(
            text="\n".join(lines),
            choices=choices,
            version=session.version,
            multi=q.kind.multi,
            actions=self._actions(lang, actions),
            number_hint=number_hint,
            footer=self._footer(lang, actions),
            selected=tuple(session.selection) if q.kind.multi else (),
        )

    def confirm(
        self, lang: str, form: Form, session: Session, version: int, error: Msg | None
    ) -> OutboundMessage:
        lines = [self.tr.render(lang, error)] if error else []
        lines.append(self.tr.text(lang, "confirm.heading", form=form.title_text(lang)))
        for i, q in enumerate(self.engine.card_questions(session), 1):
            value = self.value(lang, q, session.answers.get(q.key))
            lines.append(f"{i}) {q.noun(lang)}: {value}")
        choices = tuple(Option(c.key, c.text(lang)) for c in self.engine.common.confirm)
        return OutboundMessage(
            text="\n".join(lines),
            choices=choices,
            version=version,
            number_hint=self.tr.text(lang, "confirm.hint"),
        )

    def pick_edit(
        self, lang: str, form: Form, session: Session, version: int, error: Msg | None
    ) -> OutboundMessage:
        lines = [self.tr.render(lang, error)] if error else []
        lines.append(self.tr.text(lang, "edit.heading"))
        questions = self.engine.card_questions(session)
        return OutboundMessage(
            text="\n".join(lines),
            choices=tuple(Option(q.key, q.noun(lang)) for q in questions),
            version=version,
            actions=self._actions(lang, ["back"]),
            number_hint=self.tr.text(lang, "ask.number_hint", count=len(questions)),
            footer=self._footer(lang, ["back"]),
        )

    def value(self, lang: str, q: Question, value: Any) -> str:
        """An answer as a person reads it (the question's type decides: labels, local number
        and date formats, a count of files)."""
        if value is None or value == [] or value == "":
            return self.tr.text(lang, "card.skipped")
        shown = q.kind.card(value, q, lang)
        return self.tr.render(lang, shown) if isinstance(shown, Msg) else shown

    def _type_hint(self, lang: str, q: Question, inputs: frozenset[str]) -> str | None:
        hint = q.kind.hint(q, inputs)
        return self.tr.render(lang, hint) if hint is not None else None

    def _actions(self, lang: str, names: Sequence[str]) -> tuple[Option, ...]:
        return tuple(Option(n, self.tr.text(lang, f"action.{n}")) for n in names)

    def _footer(self, lang: str, names: Sequence[str]) -> str:
        words = " · ".join(self.tr.text(lang, f"action.{n}") for n in names)
        return self.tr.text(lang, "ask.footer", words=words)

    def card(self, lang: str, report: Report, readable: bool) -> str:
        """A stored report's answers, one line each ("• label: answer"). Free text, which may
        name workers, only when ``readable`` (privacy by level: handlers.people.privacy);
        otherwise the line says it is withheld."""
        form = self.engine.forms.get(report.form_id)
        if form is None:
            return ""
        lines = []
        for q in form.questions:
            if q.key in report.answers:
                if q.free_text and report.answers[q.key] and not readable:
                    value = self.tr.text(lang, "incident.withheld")
                else:
                    value = self.value(lang, q, report.answers[q.key])
                lines.append(f"• {q.noun(lang)}: {value}")
        return "\n".join(lines)
