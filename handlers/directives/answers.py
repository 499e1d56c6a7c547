"""A chair answers a directive: "Đã nhận", then "Đã quán triệt" with the members reached.

Messengers give no read receipts (Telegram's Bot API exposes none), so an answer is an act:
a button or a typed code in the chat ("DN 12", "QT 12"), or the unit's web page. Only a chair
of the unit a ledger row belongs to may answer it; anyone else is told it is not theirs and
nothing changes. "Đã quán triệt" is a short form in the chat (quan_triet.yaml: how many, on
which day, how) and the same three fields on the page; it records "Đã nhận" too when that was
not said first. Every answer is in the audit log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.engine import effects as fx
from bot.engine.messages import Msg
from handlers.conversation.reply_codes import ReplyCode
from handlers.conversation.turn import Turn
from handlers.directives.messages import DISSEMINATED, RECEIVED, day, number
from handlers.directives.publishing import Actor, Refused
from handlers.reports.flow import ReportFlow
from handlers.reports.page import NotYours
from storage.directive_models import Directive, DirectiveRecipient
from storage.models import OrgUnit
from storage.uow import UnitOfWork

FORM = "quan_triet"
# The form's question whose choices are the ways a unit disseminates (one list for the chat
# and the page: quan_triet.yaml).
METHOD_QUESTION = "hinh_thuc"
MAX_REACHED = 200_000


@dataclass(frozen=True)
class Dissemination:
    reached: int
    on: date
    method: str


class Answers:
    def __init__(self, flow: ReportFlow, tz: ZoneInfo) -> None:
        self.flow = flow
        self.tz = tz
        self.methods = flow.engine.forms[FORM].question(METHOD_QUESTION).choices

    def method_names(self, lang: str) -> list[tuple[str, str]]:
        """(key, label) of each way of disseminating, in the reader's language."""
        return [(c.key, c.text(lang)) for c in self.methods]

    @property
    def actions(self) -> dict[str, Callable[[Turn, ReplyCode], Awaitable[None]]]:
        return {RECEIVED: self.received_pressed, DISSEMINATED: self.disseminate_pressed}

    # -- the rules, for the chat and the page alike ---------------------------------------------
    async def mine(self, uow: UnitOfWork, person_id: int, recipient_id: int, *,
                   lock: bool = False) -> tuple[DirectiveRecipient, Directive, OrgUnit]:
        """A ledger row of a unit the person chairs, of a directive that went out."""
        found = await uow.directives.recipient(recipient_id, lock=lock)
        chairs = {u.id for m, u in await uow.memberships.of_person(person_id)
                  if m.role == "chair"}
        if found is None or found[2].id not in chairs or found[1].status == "draft":
            raise NotYours(recipient_id)
        return found

    async def receive(self, uow: UnitOfWork, actor: Actor, recipient_id: int,
                      now: datetime) -> bool:
        """Record "Đã nhận"; False when the unit had already said it."""
        row, directive, unit = await self.mine(uow, actor.person_id, recipient_id, lock=True)
        if directive.status != "published":
            raise Refused(Msg("directive.withdrawn_no_answer", number=directive.id))
        if row.state != "pending":
            return False
        await uow.directives.answer(row.id, {
            "state": "received", "received_at": now, "received_by": actor.person_id,
            "via": actor.via, "updated_at": now})
        await self._audit(uow, "directive.received", directive, unit, actor, now)
        return True

    def check(self, given: Dissemination, today: date) -> Msg | None:
        if not 0 <= given.reached <= MAX_REACHED:
            return Msg("directive.bad_reached", max=number(MAX_REACHED))
        if given.on > today:
            return Msg("directive.bad_reached_on")
        if given.method not in {c.key for c in self.methods}:
            return Msg("directive.bad_method")
        return None

    async def disseminate(self, uow: UnitOfWork, actor: Actor, recipient_id: int,
                          given: Dissemination, now: datetime) -> None:
        """Record "Đã quán triệt" (and "Đã nhận" with it when it was not said); said again,
        the figures are the latest ones given."""
        row, directive, unit = await self.mine(uow, actor.person_id, recipient_id, lock=True)
        if directive.status != "published":
            raise Refused(Msg("directive.withdrawn_no_answer", number=directive.id))
        if directive.asks != "disseminated":
            raise Refused(Msg("directive.received_only", number=directive.id))
        problem = self.check(given, now.astimezone(self.tz).date())
        if problem is not None:
            raise Refused(problem)
        values: dict[str, Any] = {
            "state": "disseminated", "disseminated_at": now, "disseminated_by": actor.person_id,
            "reached": given.reached, "reached_on": given.on, "method": given.method,
            "via": actor.via, "updated_at": now}
        if row.received_at is None:
            values.update(received_at=now, received_by=actor.person_id)
        await uow.directives.answer(row.id, values)
        await self._audit(uow, "directive.disseminated", directive, unit, actor, now,
                          reached=given.reached, on=given.on.isoformat(), method=given.method)

    # -- the chat ---------------------------------------------------------------------------------
    @staticmethod
    def actor(turn: Turn) -> Actor:
        return Actor(turn.person.id, turn.identity.id, turn.identity.channel)

    async def received_pressed(self, turn: Turn, code: ReplyCode) -> None:
        done = await self._recorded(turn, code.ref, lambda: self.receive(
            turn.uow, self.actor(turn), code.ref, turn.now))
        if done is None:
            return
        fresh, directive, unit = done
        key = "directive.received_ok" if fresh else "directive.received_before"
        await turn.say(Msg(key, number=directive.id, unit=unit.name))
        if directive.asks == "disseminated":
            await turn.say(Msg("directive.then_disseminate", code=f"QT {code.ref}",
                               due=day(directive.due_on)))

    async def disseminate_pressed(self, turn: Turn, code: ReplyCode) -> None:
        try:
            row, directive, unit = await self.mine(turn.uow, turn.person.id, code.ref)
        except NotYours:
            await self._not_yours(turn)
            return
        if directive.status != "published":
            await turn.say(Msg("directive.withdrawn_no_answer", number=directive.id))
        elif directive.asks != "disseminated":
            await turn.say(Msg("directive.received_only", number=directive.id))
        elif turn.draft.session is not None:
            await turn.say(Msg("directive.draft_open"))
        else:
            title = turn.t(Msg("directive.form_title", number=directive.id))
            await self.flow.start(turn, FORM, unit, turn.conversation,
                                  context={"recipient": row.id}, title=title)

    async def submitted(self, turn: Turn, unit_id: int, done: fx.Submitted,
                        context: Mapping[str, Any]) -> None:
        """The chat's "quán triệt" form, confirmed: recorded for its ledger row."""
        answers = done.answers
        given = Dissemination(int(answers["so_doan_vien"]),
                              date.fromisoformat(str(answers["ngay"])),
                              str(answers["hinh_thuc"]))
        recipient_id = int(context.get("recipient", 0))
        recorded = await self._recorded(turn, recipient_id, lambda: self.disseminate(
            turn.uow, self.actor(turn), recipient_id, given, turn.now))
        if recorded is None:
            return
        _, directive, unit = recorded
        await turn.say(Msg("directive.disseminated_ok", number=directive.id, unit=unit.name,
                           reached=number(given.reached), on=day(given.on)))

    async def _recorded(self, turn: Turn, recipient_id: int,
                        record: Callable[[], Awaitable[Any]]
                        ) -> tuple[Any, Directive, OrgUnit] | None:
        """Record an answer given in the chat; what it returned, with the row's directive and
        unit, or None when the person was told why not (not theirs, withdrawn...)."""
        try:
            result = await record()
            _, directive, unit = await self.mine(turn.uow, turn.person.id, recipient_id)
        except NotYours:
            await self._not_yours(turn)
            return None
        except Refused as refused:
            await turn.say(refused.msg)
            return None
        return result, directive, unit

    async def _not_yours(self, turn: Turn) -> None:
        turn.notice = Msg("directive.not_yours")
        await turn.say(Msg("directive.not_yours"))

    @staticmethod
    async def _audit(uow: UnitOfWork, action: str, directive: Directive, unit: OrgUnit,
                     actor: Actor, now: datetime, **details: object) -> None:
        await uow.audit.write(action, now, subject=f"directive:{directive.id}",
                              details={"unit": unit.code, "version": directive.version,
                                       "via": actor.via, **details},
                              person_id=actor.person_id, identity_id=actor.identity_id)
