"""Filling a report on a web page: the same draft, the same engine, another surface.

Every call works on the signed-in person's own draft (their conversation row), locked as
the chat locks it, so an answer from the chat and one from the page never interleave. The
page carries the draft's version: a page older than the draft (answered meanwhile in chat)
changes nothing and is shown again with the draft as it is now. What a step would say in
the chat is shown on the page instead (``Turn.echo``); the chat hears only that the report
was sent, with its number, and the officials' alerts go as from the chat.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.channels.base import ChannelBook
from bot.engine.inputs import AttachmentInput, CommandInput
from bot.engine.messages import Msg
from bot.engine.page import Filled, Raw, detach, fill, refusal
from bot.engine.session import Session
from bot.i18n import Translator
from handlers.calendar.periodic import PeriodicDesk
from handlers.conversation.turn import Turn
from handlers.reports.flow import ReportFlow
from storage.models import OrgUnit, Report
from storage.uow import UnitOfWork


class NotYours(LookupError):
    """Not this person's to see (another person's draft, another unit's report): the page
    answers as for something that does not exist."""


@dataclass(frozen=True)
class Visitor:
    """The signed-in person, through the account they signed in from."""

    person_id: int
    identity_id: int


@dataclass(frozen=True)
class Draft:
    """The person's open draft as a page shows it."""

    conv_id: int
    session: Session
    unit: OrgUnit | None
    title: str


@dataclass(frozen=True)
class Saved:
    """What a page's post did: the draft now (None: it ended), refused answers, whether the
    page was stale, and the report stored."""

    draft: Draft | None
    errors: Mapping[str, Msg]
    stale: bool
    report: Report | None
    # False: nothing was done (no draft, or the page was stale).
    done: bool = True


class FormPages:
    def __init__(self, flow: ReportFlow, periodic: PeriodicDesk, translator: Translator,
                 tz: ZoneInfo, default_language: str, channels: ChannelBook) -> None:
        self.flow = flow
        self.engine = flow.engine
        self.periodic = periodic
        self.tr = translator
        self.tz = tz
        self.default_language = default_language
        self.channels = channels

    async def turn(self, uow: UnitOfWork, who: Visitor, now: datetime) -> Turn:
        """The person, locked, with their draft (one statement, as for a chat message); as a
        page's turn (nothing said in chat)."""
        arrival = await uow.arrivals.of_identity(who.identity_id)
        if arrival is None or arrival.person.id != who.person_id:
            raise NotYours(who.identity_id)
        identity = arrival.identity
        return Turn(uow, identity, arrival.person, now, self.tz, self.tr,
                    self.default_language, conversation=arrival.conversation,
                    enrolled_hint=arrival.enrolled,
                    channel=self.channels.capabilities(identity.channel), echo=False)

    async def draft(self, turn: Turn, conv_id: int | None = None) -> Draft | None:
        """The person's open draft (checked against ``conv_id`` from a URL)."""
        conv = turn.conversation
        if conv_id is not None and (conv is None or conv.id != conv_id):
            raise NotYours(conv_id)
        session = turn.draft.session
        if conv is None or session is None:
            return None
        unit = await turn.uow.units.get(conv.unit_id) if conv.unit_id else None
        form = self.engine.forms[session.form_id]
        label = turn.draft.context.get("label")
        return Draft(conv.id, session, unit, str(label) if label else form.title_text(turn.lang))

    async def start(self, turn: Turn, form_id: str, unit_id: int) -> Draft | None:
        """Start a report a chair files when they choose (the rapid report) for one of their
        own units; an open draft is kept and returned instead."""
        current = await self.draft(turn)
        if current is not None:
            return current
        units = {u.id: u for m, u in await turn.memberships() if m.role == "chair"}
        form = self.engine.forms.get(form_id)
        if unit_id not in units or form is None or form.becomes != "report":
            raise NotYours(unit_id)
        await self.flow.start(turn, form_id, units[unit_id], turn.conversation)
        return await self.draft(turn)

    async def periodic_draft(self, turn: Turn, obligation_id: int) -> Draft | None:
        """A period's report from a reminder's link: the open draft if it is this one, else
        a new draft (refused, with the chat's words, for another unit's period)."""
        current = await self.draft(turn)
        if current is not None:
            return current
        await self.periodic.fill(turn, obligation_id)
        if turn.notice is not None:
            raise NotYours(obligation_id)
        return await self.draft(turn)

    async def save(self, turn: Turn, conv_id: int, version: int, raw: Mapping[str, Raw],
                   files: list[tuple[str, AttachmentInput]], *, finish: bool) -> Saved:
        draft = await self.draft(turn, conv_id)
        if draft is None or draft.session.version != version:
            return Saved(draft, {}, draft is not None, None, done=False)
        assert turn.conversation is not None
        filled = fill(self.engine, draft.session, raw, turn.local_now.date(), finish=False)
        errors = dict(filled.errors)
        session = filled.session
        for key, inp in files:
            outcome = self.engine.attach(session, key, inp)
            reason = refusal(outcome)
            if reason is not None:
                errors[key] = reason
            assert outcome.session is not None
            session = outcome.session
        if finish:
            filled = fill(self.engine, session, {}, turn.local_now.date(), finish=True)
            errors = {**filled.errors, **errors}
        else:
            filled = Filled(self.engine.settle(session), errors)
        await self.flow.apply(turn, turn.conversation, filled.outcome)
        return Saved(await self.draft(turn), errors, False, None)

    async def remove_file(self, turn: Turn, conv_id: int, version: int, key: str,
                          index: int) -> Saved:
        draft = await self.draft(turn, conv_id)
        if draft is None or draft.session.version != version:
            return Saved(draft, {}, draft is not None, None, done=False)
        assert turn.conversation is not None
        await self.flow.apply(turn, turn.conversation,
                              detach(self.engine, draft.session, key, index))
        return Saved(await self.draft(turn), {}, False, None)

    async def finish(self, turn: Turn, conv_id: int, version: int, command: str) -> Saved:
        """Send ("confirm") or cancel ("cancel") the draft from its card."""
        draft = await self.draft(turn, conv_id)
        if draft is None or draft.session.version != version:
            return Saved(draft, {}, draft is not None, None, done=False)
        assert turn.conversation is not None
        outcome = self.engine.step(draft.session, CommandInput(
            "confirm" if command == "confirm" else "cancel"),
                                   today=turn.local_now.date())
        report = await self.flow.apply(turn, turn.conversation, outcome)
        if report is not None:
            # The chat keeps a record: one message with the number, as if sent there.
            turn.echo = True
            await turn.say(Msg("web.sent_record", ref=report.ref))
            await turn.flush()
        return Saved(await self.draft(turn), {}, False, report)
