"""Filing a report: starting a draft, stepping it, and applying the engine's effects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.engine import effects as fx
from bot.engine.conversation import Engine, Outcome
from bot.engine.inputs import Input
from bot.engine.messages import Msg
from bot.engine.session import Session
from handlers.render import Renderer
from handlers.turn import Turn
from storage.models import Conversation, OrgUnit, Report

REF_PREFIX = {"bao_cao_nhanh": "BC"}


TIMERS = "timers"  # in a draft's state: timer kind -> when it should fire (ISO, UTC)
# In a draft's state: what the report is for (a periodic report's period), kept until stored.
CONTEXT = "for"


def draft_target(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


def draft_context(state: dict[str, Any] | None) -> dict[str, Any]:
    return dict((state or {}).get(CONTEXT) or {})


def draft_timers(state: dict[str, Any] | None) -> dict[str, str]:
    """The draft's wanted timer due times, by kind; a kind listed here has a fire armed."""
    return dict((state or {}).get(TIMERS) or {})


# What else happens when a report is stored (incidents open from it), in the same transaction.
AfterSubmit = Callable[[Turn, Report], Awaitable[None]]


class ReportFlow:
    def __init__(self, engine: Engine, renderer: Renderer) -> None:
        self.engine = engine
        self.renderer = renderer
        self.after_submit: list[AfterSubmit] = []

    async def start(
        self, turn: Turn, form_id: str, unit: OrgUnit, conv: Conversation | None = None,
        *, context: dict[str, Any] | None = None, title: str | None = None,
    ) -> None:
        """Start a draft; ``context`` (a periodic report's period) travels with it to the
        stored report, ``title`` replaces the form's title in the first line."""
        conv = await turn.uow.conversations.save(
            turn.person.id,
            identity_id=turn.identity.id,
            unit_id=unit.id,
            form_id=form_id,
            state={CONTEXT: context} if context else None,
            now=turn.now,
            current=conv,
        )
        turn.conversation = conv
        outcome = self.engine.start(form_id)
        title = title or self.engine.forms[form_id].title_text(turn.lang)
        await turn.say(Msg("report.started", form=title, unit=unit.name))
        await self.apply(turn, conv, outcome)

    async def step(self, turn: Turn, conv: Conversation, session: Session, inp: Input) -> None:
        outcome = self.engine.step(session, inp, today=turn.local_now.date())
        await self.apply(turn, conv, outcome)

    async def resume(self, turn: Turn, session: Session) -> None:
        """Show the draft's current question again (after an aside such as /lichsu)."""
        message = self.renderer.effect(turn.lang, session, self.engine.current(session),
                                       turn.inputs)
        if message is not None:
            await turn.reply(message)

    async def apply(self, turn: Turn, conv: Conversation, outcome: Outcome) -> None:  # noqa: C901
        uow = turn.uow
        target = draft_target(conv.id)
        before = conv.state.get("session") if conv.state else None
        session = outcome.session or (Session.from_dict(before) if before else None)
        # Draft timers are armed lazily: the engine moves them on every answer, but only the
        # wanted due time is kept (in the draft's state, written anyway); a fire row is written
        # only when none is armed. A fire that comes due early re-arms itself (handlers.drafts).
        timers = draft_timers(conv.state)
        context = draft_context(conv.state)
        arm: list[tuple[str, str, datetime, dict[str, Any]]] = []
        submitted: fx.Submitted | None = None
        unit_id = conv.unit_id  # the draft's unit; saving an ended draft clears it
        for effect in outcome.effects:
            if isinstance(effect, fx.Submitted):
                submitted = effect  # stored last: see _store
            elif isinstance(effect, fx.ScheduleFire):
                due = turn.now + effect.after
                if effect.kind not in timers:
                    arm.append((effect.kind, target, due, {}))
                timers[effect.kind] = due.isoformat()
            elif isinstance(effect, fx.CancelFires):
                await uow.fires.schedule_many(arm, turn.now)  # effects apply in order
                arm, timers = [], {}
                await uow.fires.cancel_target(target)
            elif session is not None:
                message = self.renderer.effect(turn.lang, session, effect, turn.inputs)
                if message is not None:
                    await turn.reply(message)
        await uow.fires.schedule_many(arm, turn.now)
        ended = any(isinstance(e, fx.Ended) for e in outcome.effects)
        state: dict[str, Any] | None = None
        if outcome.session is not None and not ended:
            state = {"session": outcome.session.to_dict(), TIMERS: timers}
            if context:
                state[CONTEXT] = context
        await uow.conversations.save(
            turn.person.id,
            identity_id=turn.identity.id,
            unit_id=conv.unit_id if state else None,
            form_id=conv.form_id if state else None,
            state=state,
            now=turn.now,
            current=conv,
        )
        if submitted is not None:
            assert unit_id is not None
            await self.store(turn, unit_id, submitted.form_id, submitted.form_version,
                             submitted.answers, period=context.get("period"))

    async def store(
        self, turn: Turn, unit_id: int, form_id: str, form_version: int,
        answers: dict[str, Any], *, period: str | None = None, nil: bool = False,
    ) -> Report:
        """Number and store a report (a finished draft, or a one-tap nil report). Everything
        else in the step is written first: the number's counter row is locked from here to
        commit, and every filer waits on it."""
        form = self.engine.forms[form_id]
        local = turn.local_now
        prefix = REF_PREFIX.get(form.id, "BC")
        number = await turn.uow.reports.next_number(prefix, local.year)
        ref = f"{prefix}-{local.year}-{number:06d}"
        category_key, severity_key = form.index.get("category"), form.index.get("severity")
        report = await turn.uow.reports.add(
            ref=ref,
            unit_id=unit_id,
            person_id=turn.person.id,
            identity_id=turn.identity.id,
            form_id=form.id,
            form_version=form_version,
            period=period or f"{local:%Y-%m}",
            category=answers.get(category_key) if category_key else None,
            severity=answers.get(severity_key) if severity_key else None,
            answers=answers,
            submitted_at=turn.now,
            nil=nil,
        )
        await turn.uow.audit.write(
            "report.submitted",
            turn.now,
            subject=ref,
            person_id=turn.person.id,
            identity_id=turn.identity.id,
        )
        await turn.say(Msg("report.submitted", ref=ref,
                           time=f"{local:%H:%M %d/%m/%Y}"))
        for hook in self.after_submit:
            await hook(turn, report)
        return report

