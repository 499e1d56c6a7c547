"""The conversation engine: ``step(session, input) -> Outcome(session, effects)``.

Pure and total: any input in any state yields a new session (or None when the draft ends)
and a list of effects; a refused answer re-asks with a reason and changes no answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bot.engine import effects as fx
from bot.engine.answers import match_choice
from bot.engine.form import Choice, Form, Question, beyond
from bot.engine.inputs import (
    AttachmentInput,
    ChoiceInput,
    CommandInput,
    Input,
    TextInput,
    TimeoutInput,
)
from bot.engine.messages import Msg
from bot.engine.session import CONFIRM, PICK_EDIT, Session
from bot.engine.text import fold

SEND, EDIT, CANCEL = "gui", "sua", "huy"


@dataclass(frozen=True)
class EngineConfig:
    nudge_after: timedelta = timedelta(hours=2)
    expiry: timedelta = timedelta(days=7)
    # Larger files are refused (Telegram bots cannot fetch files over 20 MB anyway).
    max_attachment_bytes: int = 20 * 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    session: Session | None
    effects: tuple[fx.Effect, ...]


@dataclass(frozen=True)
class CommonChoices:
    """Choices shared by every form, defined in bot/forms/common.yaml."""

    yes_no: tuple[Choice, ...]
    confirm: tuple[Choice, ...]


@dataclass
class _Step:
    s: Session
    out: list[fx.Effect] = field(default_factory=list)


class Engine:
    def __init__(
        self, forms: Mapping[str, Form], common: CommonChoices, config: EngineConfig
    ) -> None:
        self.forms = forms
        self.common = common
        self.config = config

    # -- entry points -------------------------------------------------------------------
    def start(self, form_id: str) -> Outcome:
        form = self.forms[form_id]
        st = _Step(Session(form.id, form.version, step=""))
        self._advance(st, form, record_history=False)
        st.out.append(fx.ScheduleFire("draft.nudge", self.config.nudge_after))
        st.out.append(fx.ScheduleFire("draft.expire", self.config.expiry))
        return Outcome(st.s, tuple(st.out))

    def step(self, session: Session, inp: Input, today: date | None = None) -> Outcome:
        form = self.forms[session.form_id]
        st = _Step(session.copy())
        if isinstance(inp, TimeoutInput):
            return self._timeout(st, form, inp)
        if isinstance(inp, CommandInput) and inp.name == "cancel":
            return Outcome(
                None, (fx.Say(Msg("report.cancelled")), fx.CancelFires(), fx.Ended("cancelled"))
            )
        if st.s.step == CONFIRM:
            self._at_confirm(st, form, inp)
        elif st.s.step == PICK_EDIT:
            self._at_pick(st, form, inp)
        else:
            self._at_question(st, form, form.question(st.s.step), inp, today)
        if any(isinstance(e, fx.Ended) for e in st.out):
            return Outcome(None, tuple(st.out))
        return self._keep(st)

    def current(self, session: Session) -> fx.Effect:
        """The prompt for wherever the draft stands (used to resume it)."""
        return self._show(session, self.forms[session.form_id])

    def attach(self, session: Session, key: str, inp: AttachmentInput) -> Outcome:
        """A file given for question ``key`` wherever the draft stands (a web page uploads
        beside the other answers); refused like a file sent in chat."""
        form = self.forms[session.form_id]
        st = _Step(session.copy())
        q = form.question(key)
        if not _relevant(q, st.s.answers):
            st.out.append(fx.Ask(q.key, st.s.version, Msg("error.not_now")))
        else:
            self._attachment(st, q, inp)
        return self._keep(st)

    def settle(self, session: Session) -> Outcome:
        """A draft whose answers were set together (a web page): drop what they made
        irrelevant and stand at the first question not dealt with, else at the card."""
        st = _Step(session.copy())
        st.s.editing, st.s.selection = False, []
        self._advance(st, self.forms[session.form_id], record_history=False)
        return self._keep(st)

    def _keep(self, st: _Step) -> Outcome:
        st.out.append(fx.ScheduleFire("draft.expire", self.config.expiry))
        if not st.s.nudged:
            st.out.append(fx.ScheduleFire("draft.nudge", self.config.nudge_after))
        return Outcome(st.s, tuple(st.out))

    def card_questions(self, session: Session) -> list[Question]:
        """Questions shown on the confirmation card, in form order."""
        form = self.forms[session.form_id]
        return [
            q
            for q in form.questions
            if _relevant(q, session.answers)
            and (q.key in session.answers or q.key in session.skipped)
        ]

    # -- states -------------------------------------------------------------------------
    def _at_question(
        self, st: _Step, form: Form, q: Question, inp: Input, today: date | None
    ) -> None:
        s = st.s
        if isinstance(inp, ChoiceInput):
            if inp.version != s.version:
                st.out += [fx.Say(Msg("button.stale")), self._show(s, form)]
            elif not q.has_choices or inp.key not in {c.key for c in q.choices}:
                st.out.append(fx.Ask(q.key, s.version, Msg("error.choice_unknown", count=0)))
            elif q.kind.multi:
                picked = s.selection
                picked.remove(inp.key) if inp.key in picked else picked.append(inp.key)
                st.out.append(fx.Ask(q.key, s.version))
            else:
                self._accept(st, form, q, q.kind.chosen(inp.key))
        elif isinstance(inp, CommandInput):
            self._command_at_question(st, form, q, inp)
        elif isinstance(inp, AttachmentInput):
            self._attachment(st, q, inp)
        elif isinstance(inp, TextInput):
            value, error = q.kind.parse(inp.text, q, today)
            error = error or beyond(q, value, s.answers, form)
            if error is not None:
                st.out.append(fx.Ask(q.key, s.version, error))
            else:
                self._accept(st, form, q, value)

    def _command_at_question(
        self, st: _Step, form: Form, q: Question, inp: CommandInput
    ) -> None:
        s = st.s
        if inp.name == "back":
            self._back(st, form)
        elif inp.name == "skip":
            if q.required:
                st.out.append(fx.Ask(q.key, s.version, Msg("error.required")))
            else:
                s.answers.pop(q.key, None)
                if q.key not in s.skipped:
                    s.skipped.append(q.key)
                s.selection = []
                self._advance(st, form)
        elif inp.name == "done" and q.kind.multi and s.selection:
            self._accept(st, form, q, list(s.selection))
        elif inp.name == "done" and q.kind.gathers and s.answers.get(q.key):
            self._advance(st, form)
        elif inp.name == "done" and not q.required:
            self._command_at_question(st, form, q, CommandInput("skip"))
        elif inp.name == "done" and (q.kind.multi or q.kind.gathers):
            st.out.append(fx.Ask(q.key, s.version, Msg("error.required")))
        else:
            st.out.append(fx.Ask(q.key, s.version, Msg("error.not_now")))

    def _attachment(self, st: _Step, q: Question, inp: AttachmentInput) -> None:
        s = st.s
        if not q.kind.gathers:
            st.out.append(fx.Ask(q.key, s.version, Msg("error.attachment_not_here")))
            return
        if inp.kind not in q.accept:
            st.out.append(fx.Ask(q.key, s.version, Msg("error.attachment_kind")))
            return
        if inp.size > self.config.max_attachment_bytes:
            limit_mb = self.config.max_attachment_bytes / (1024 * 1024)
            st.out.append(fx.Ask(q.key, s.version, Msg("error.attachment_too_big",
                                                       max_mb=f"{limit_mb:g}")))
            return
        items: list[dict[str, Any]] = list(s.answers.get(q.key, []))
        if len(items) >= q.max_count:
            st.out.append(fx.Ask(q.key, s.version, Msg("error.attachment_max", max=q.max_count)))
            return
        item = {"kind": inp.kind, "ref": inp.ref, "size": inp.size}
        if inp.name:
            item["name"] = inp.name
        if inp.mime:
            item["mime"] = inp.mime
        items.append(item)
        s.answers[q.key] = items
        if q.key in s.skipped:
            s.skipped.remove(q.key)
        st.out.append(fx.Say(Msg("attachment.received", count=len(items))))

    def _at_confirm(self, st: _Step, form: Form, inp: Input) -> None:
        s = st.s
        if isinstance(inp, ChoiceInput) and inp.version != s.version:
            st.out += [fx.Say(Msg("button.stale")), self._show(s, form)]
            return
        if isinstance(inp, CommandInput) and inp.name == "back":
            self._back(st, form)
            return
        action, edit_number, error = self._confirm_action(inp)
        if action == CANCEL:
            st.out += [fx.Say(Msg("report.cancelled")), fx.CancelFires(), fx.Ended("cancelled")]
        elif action == SEND:
            self._submit(st, form)
        elif action == EDIT and edit_number is not None:
            self._edit(st, form, edit_number)
        elif action == EDIT:
            s.step, s.version = PICK_EDIT, s.version + 1
            st.out.append(self._show(s, form))
        else:
            st.out.append(fx.Confirm(s.version, error))

    def _confirm_action(self, inp: Input) -> tuple[str | None, int | None, Msg | None]:
        """What an input on the confirmation card asks: send, edit (which number), cancel,
        or nothing understood (with the reason)."""
        error: Msg | None = Msg("error.confirm_choice")
        if isinstance(inp, ChoiceInput):
            return (inp.key if inp.key in (SEND, EDIT, CANCEL) else None), None, error
        if isinstance(inp, CommandInput):
            number = int(inp.arg) if inp.arg and inp.arg.isdecimal() else None
            # "Xong" on the card means "done answering", not "send": only «gửi» or 1 sends.
            if inp.name == "done":
                return None, None, Msg("error.confirm_done")
            return {"confirm": SEND, "edit": EDIT}.get(inp.name), number, error
        if not isinstance(inp, TextInput):
            return None, None, error
        words = fold(inp.text).split(" ")
        if len(words) == 2 and words[1].isdecimal():
            key, _ = match_choice(words[0], self.common.confirm)
            if key == EDIT:
                return EDIT, int(words[1]), error
        key, _ = match_choice(inp.text, self.common.confirm)
        return key, None, error  # not understood: said first, then what to type

    def _at_pick(self, st: _Step, form: Form, inp: Input) -> None:
        s = st.s
        questions = self.card_questions(s)
        if isinstance(inp, CommandInput) and inp.name == "back":
            s.step, s.version = CONFIRM, s.version + 1
            st.out.append(fx.Confirm(s.version))
            return
        number: int | None = None
        if isinstance(inp, ChoiceInput) and inp.version == s.version:
            keys = [q.key for q in questions]
            number = keys.index(inp.key) + 1 if inp.key in keys else None
        elif isinstance(inp, TextInput):
            pseudo = tuple(Choice(q.key, q.label) for q in questions)
            key, _ = match_choice(inp.text, pseudo)
            number = [q.key for q in questions].index(key) + 1 if key else None
        if number is None:
            st.out.append(
                fx.PickEdit(
                    s.version, tuple(q.key for q in questions), Msg("error.pick_edit")
                )
            )
        else:
            self._edit(st, form, number)

    # -- transitions --------------------------------------------------------------------
    def _edit(self, st: _Step, form: Form, number: int) -> None:
        s = st.s
        questions = self.card_questions(s)
        if not 1 <= number <= len(questions):
            st.out.append(
                fx.PickEdit(
                    s.version,
                    tuple(q.key for q in questions),
                    Msg("error.choice_number", count=len(questions)),
                )
            )
            s.step = PICK_EDIT
            return
        s.step, s.editing, s.version = questions[number - 1].key, True, s.version + 1
        s.selection = []
        st.out.append(self._show(s, form))

    def _accept(self, st: _Step, form: Form, q: Question, value: Any) -> None:
        st.s.answers[q.key] = value
        if q.key in st.s.skipped:
            st.s.skipped.remove(q.key)
        st.s.selection = []
        self._advance(st, form)

    def _advance(self, st: _Step, form: Form, record_history: bool = True) -> None:
        """Move to the first relevant question not yet dealt with, else to the card."""
        s = st.s
        for q in form.questions:  # drop answers that an edit made irrelevant
            if not _relevant(q, s.answers):
                s.answers.pop(q.key, None)
                if q.key in s.skipped:
                    s.skipped.remove(q.key)
        if record_history and not s.editing and s.step not in ("", CONFIRM, PICK_EDIT):
            s.history.append(s.step)
        s.history = [k for k in s.history if k in s.answers or k in s.skipped]
        nxt = next(
            (
                q
                for q in form.questions
                if _relevant(q, s.answers) and q.key not in s.answers and q.key not in s.skipped
            ),
            None,
        )
        s.version += 1
        if nxt is None:
            s.step, s.editing = CONFIRM, False
        else:
            s.step = nxt.key
        st.out.append(self._show(s, form))

    def _back(self, st: _Step, form: Form) -> None:
        s = st.s
        if s.editing or s.step == PICK_EDIT:
            s.step, s.editing, s.version = CONFIRM, False, s.version + 1
            st.out.append(fx.Confirm(s.version))
            return
        if not s.history:
            st.out += [fx.Say(Msg("nav.nothing_to_go_back")), self._show(s, form)]
            return
        previous = s.history.pop()
        s.answers.pop(previous, None)
        if previous in s.skipped:
            s.skipped.remove(previous)
        s.step, s.selection, s.version = previous, [], s.version + 1
        st.out.append(self._show(s, form))

    def _submit(self, st: _Step, form: Form) -> None:
        s = st.s
        missing = [
            q
            for q in form.questions
            if _relevant(q, s.answers) and q.required and q.key not in s.answers
        ]
        if missing:  # cannot happen through the flow; guards a stale or edited draft
            s.step, s.version = missing[0].key, s.version + 1
            st.out.append(fx.Ask(missing[0].key, s.version, Msg("error.required")))
            return
        st.out += [
            fx.Submitted(form.id, form.version, dict(s.answers)),
            fx.CancelFires(),
            fx.Ended("submitted"),
        ]

    def _timeout(self, st: _Step, form: Form, inp: TimeoutInput) -> Outcome:
        if inp.kind == "expire":
            return Outcome(
                None, (fx.Say(Msg("draft.expired")), fx.CancelFires(), fx.Ended("expired"))
            )
        if st.s.nudged:
            return Outcome(st.s, ())
        st.s.nudged = True
        return Outcome(st.s, (fx.Say(Msg("draft.nudge")), self._show(st.s, form)))

    # -- helpers ------------------------------------------------------------------------
    def _show(self, s: Session, form: Form) -> fx.Effect:
        if s.step == CONFIRM:
            return fx.Confirm(s.version)
        if s.step == PICK_EDIT:
            return fx.PickEdit(s.version, tuple(q.key for q in self.card_questions(s)))
        return fx.Ask(s.step, s.version)

def _relevant(q: Question, answers: Mapping[str, Any]) -> bool:
    return q.relevant is None or q.relevant.holds(answers)
