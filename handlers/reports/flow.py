"""Filing a report: starting a draft, stepping it, and applying the effects of each step.

The engine returns effects; each effect type has one applier, registered once (a second
applier for the same type stops start-up). A stored report has consequences that are effects
too: the hot-spot rules say "open an incident" (handlers/incidents/escalation.py), the reporting
calendar says "this meets an obligation" (handlers/calendar/periodic.py). Their producers are pure
functions of the report, listed in the order their messages should read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.channels.base import OutboundMessage, WebLink
from bot.engine import effects as fx
from bot.engine.conversation import Engine, Outcome
from bot.engine.inputs import Input
from bot.engine.messages import Msg
from bot.engine.registry import Registry
from bot.engine.session import Session
from bot.engine.text import fold
from handlers.conversation.draft_state import DraftState, draft_target
from handlers.conversation.turn import Turn
from handlers.reports.render import Renderer
from storage.models import Conversation, OrgUnit, Report

REF_PREFIX = {"bao_cao_nhanh": "BC"}


@dataclass
class Step:
    """One step being applied: the draft's new state and what waits for the end."""

    conv: Conversation
    session: Session | None
    timers: dict[str, str]
    # Fires to write (kind, target, due, payload): only for kinds not armed yet.
    arm: list[tuple[str, str, datetime, dict[str, Any]]] = field(default_factory=list)
    submitted: fx.Submitted | None = None
    ended: bool = False


# An effect of a step, applied in the step's transaction.
Applier = Callable[[Turn, Step, Any], Awaitable[None]]
# An effect of a stored report (an incident to open), applied when it is stored.
Consequence = Callable[[Turn, Any], Awaitable[None]]
# What a stored report brings about, as effects (pure: the report in, effects out).
Producer = Callable[[Report], list[Any]]
# What a finished draft of a form that is not a report becomes (a directive...): given the
# draft's unit, the answers and the draft's context.
Submitter = Callable[[Turn, int, fx.Submitted, Mapping[str, Any]], Awaitable[None]]


class ReportFlow:
    def __init__(self, engine: Engine, renderer: Renderer) -> None:
        self.engine = engine
        self.renderer = renderer
        self.appliers: Registry[type[Any], Applier] = Registry("effect applier")
        for kind in (fx.Ask, fx.Confirm, fx.PickEdit, fx.Say):
            self.appliers.add(kind, self._show)
        self.appliers.add(fx.ScheduleFire, self._schedule)
        self.appliers.add(fx.CancelFires, self._cancel)
        self.appliers.add(fx.Submitted, self._submitted)
        self.appliers.add(fx.Ended, self._ended)
        self.consequences: Registry[type[Any], Consequence] = Registry("report effect")
        self.producers: list[Producer] = []
        # By a form's ``becomes``: its use case (a form that becomes a report has none).
        self.submitters: Registry[str, Submitter] = Registry("form outcome")
        # With web pages served, a draft started in chat offers its page ("fill on the
        # phone"): the link is made when the message leaves (bot.delivery).
        self.phone_link = False

    def on_stored(self, produce: Producer, kind: type[Any], apply: Consequence) -> None:
        """A domain's effect of a stored report: how it is found, and how it applies."""
        self.producers.append(produce)
        self.consequences.add(kind, apply)

    def check_outcomes(self) -> None:
        """Every form becomes a report or something a use case registered (start-up)."""
        missing = sorted({f"{form.id}: {form.becomes}" for form in self.engine.forms.values()
                          if form.becomes != "report" and form.becomes not in self.submitters})
        if missing:
            raise ValueError(f"forms that become nothing known: {', '.join(missing)}")

    async def start(
        self, turn: Turn, form_id: str, unit: OrgUnit, conv: Conversation | None = None,
        *, context: dict[str, Any] | None = None, title: str | None = None,
    ) -> None:
        """Start a draft; ``context`` (a periodic report's period) travels with it to the
        stored report, ``title`` replaces the form's title in the first line."""
        state = DraftState(context=context or {})
        conv = await turn.uow.conversations.save(
            turn.person.id,
            identity_id=turn.identity.id,
            unit_id=unit.id,
            form_id=form_id,
            state=state.to_json(),
            now=turn.now,
            current=conv,
        )
        turn.drafted(conv, state)
        outcome = self.engine.start(form_id)
        title = title or self.engine.forms[form_id].title_text(turn.lang)
        await turn.say(Msg("report.started", form=title, unit=unit.name))
        if self.phone_link and turn.echo and turn.channel is not None \
                and turn.channel.opens_links:
            await turn.reply(OutboundMessage(
                turn.t(Msg("web.fill_on_phone_hint")),
                link=WebLink("", turn.t(Msg("web.fill_on_phone")), f"/web/drafts/{conv.id}")))
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

    async def apply(self, turn: Turn, conv: Conversation, outcome: Outcome) -> Report | None:
        """Apply a step's effects in order, write the draft, then store a finished report.

        Draft timers are armed lazily: the engine moves them on every answer, but only the
        wanted due time is kept (in the draft's state, written anyway); a fire row is written
        only when none is armed. A fire that comes due early re-arms itself
        (handlers/conversation/drafts.py).
        """
        draft = turn.draft
        step = Step(conv, outcome.session or draft.session, dict(draft.timers))
        unit_id = conv.unit_id  # the draft's unit; saving an ended draft clears it
        for effect in outcome.effects:
            await self.appliers[type(effect)](turn, step, effect)
        await turn.uow.fires.schedule_many(step.arm, turn.now)
        state = DraftState()
        if outcome.session is not None and not step.ended:
            state = DraftState(session=outcome.session, timers=step.timers,
                               context=draft.context)
        await turn.save_draft(state, conv)
        if step.submitted is None:
            return None
        assert unit_id is not None
        s = step.submitted
        becomes = self.engine.forms[s.form_id].becomes
        if becomes != "report":
            await self.submitters[becomes](turn, unit_id, s, draft.context)
            return None
        return await self.store(turn, unit_id, s.form_id, s.form_version, s.answers,
                                period=draft.period)

    async def _show(self, turn: Turn, step: Step, effect: fx.Effect) -> None:
        if step.session is not None:
            message = self.renderer.effect(turn.lang, step.session, effect, turn.inputs)
            if message is not None:
                await turn.reply(message)

    async def _schedule(self, turn: Turn, step: Step, effect: fx.ScheduleFire) -> None:
        due = turn.now + effect.after
        if effect.kind not in step.timers:
            step.arm.append((effect.kind, draft_target(step.conv.id), due, {}))
        step.timers[effect.kind] = due.isoformat()

    async def _cancel(self, turn: Turn, step: Step, effect: fx.CancelFires) -> None:
        await turn.uow.fires.schedule_many(step.arm, turn.now)  # effects apply in order
        step.arm, step.timers = [], {}
        await turn.uow.fires.cancel_target(draft_target(step.conv.id))

    async def _submitted(self, turn: Turn, step: Step, effect: fx.Submitted) -> None:
        step.submitted = effect  # stored last: see store

    async def _ended(self, turn: Turn, step: Step, effect: fx.Ended) -> None:
        step.ended = True

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
            words=fold(" ".join(v for v in answers.values() if isinstance(v, str))) or None,
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
        for produce in self.producers:
            for effect in produce(report):
                await self.consequences[type(effect)](turn, effect)
        return report
