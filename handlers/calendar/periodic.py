"""What a chair does with periodic reports: /dinhky, "không có gì mới", /hanbaocao, and
keeping the compliance ledger as reports come in.

A report for a period the unit has already filed is stored but held: the chair is asked
whether it replaces the first, and only "Thay thế" makes it count; the first is kept as
"replaced" either way round, so the history stays whole. Two chairs of one unit filing at
once meet the same question, since the check is made when the report is stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.engine.form import Choice
from bot.engine.messages import Msg
from handlers.calendar.periods import PeriodTexts, day
from handlers.calendar.plan import FILE, NIL
from handlers.conversation.questions import HostQuestion
from handlers.conversation.reply_codes import ReplyCode
from handlers.conversation.turn import Turn
from handlers.reports.flow import ReportFlow
from storage.models import OrgUnit, PeriodObligation, Report
from storage.repositories.obligations import FILED, OWED

OFFER = "periodic"  # host question: which periodic report, fill in or "nothing new"
REPLACE = "replace"  # host question: does the new report replace the one filed?

AskChoice = Callable[[Turn, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class ObligationMet:
    """An effect of a stored report: it is the report a period's obligation asks for."""

    report: Report
    kind: str


class PeriodicDesk:
    def __init__(self, flow: ReportFlow, texts: PeriodTexts, ask_choice: AskChoice) -> None:
        self.flow = flow
        self.texts = texts
        self.ask_choice = ask_choice
        self.questions: dict[str, HostQuestion] = {OFFER: _Offer(self),
                                                   REPLACE: _Replace(self)}

    @property
    def actions(self) -> dict[str, Callable[[Turn, ReplyCode], Awaitable[None]]]:
        return {FILE: self.file_pressed, NIL: self.nil_pressed}

    @property
    def commands(self) -> dict[str, Callable[[Turn], Awaitable[None]]]:
        return {"periodic": self.offer, "nil": self.nil_typed, "deadlines": self.deadlines}

    # -- what the chair owes ----------------------------------------------------------------------
    async def _chair_units(self, turn: Turn) -> dict[int, OrgUnit]:
        return {u.id: u for m, u in await turn.memberships() if m.role == "chair"}

    async def offered(self, turn: Turn) -> list[tuple[PeriodObligation, OrgUnit]]:
        """Reports the chair can file now: every one still owed, and the latest period of each
        kind already filed (to file again, replacing it after confirmation)."""
        units = await self._chair_units(turn)
        rows = await turn.uow.obligations.of_units(list(units))
        latest: dict[tuple[int, str], PeriodObligation] = {}
        for row in rows:
            key = (row.unit_id, row.kind)
            if key not in latest or row.due_on > latest[key].due_on:
                latest[key] = row
        return [(row, units[row.unit_id]) for row in rows
                if row.status in OWED or latest[(row.unit_id, row.kind)] is row]

    def _name(self, turn: Turn, row: PeriodObligation, unit: OrgUnit, many_units: bool) -> str:
        label = self.texts.of(turn.t, turn.lang, row)
        return turn.t(Msg("periodic.for_unit", label=label, unit=unit.name)) if many_units \
            else label

    async def choices(self, turn: Turn, nil_only: bool = False) -> list[Choice]:
        offered = await self.offered(turn)
        many = len({u.id for _, u in offered}) > 1
        out: list[Choice] = []
        for row, unit in offered:
            name = self._name(turn, row, unit, many)
            if row.status in OWED:
                if not nil_only:
                    out.append(Choice(f"f{row.id}", {"vi": turn.t(Msg(
                        "periodic.choice_fill", label=name, due=day(row.due_on)))}))
                out.append(Choice(f"n{row.id}", {"vi": turn.t(Msg(
                    "periodic.choice_nil", label=name))}))
            elif not nil_only and row.submitted_at is not None:
                filed = row.submitted_at.astimezone(turn.tz).date()
                out.append(Choice(f"f{row.id}", {"vi": turn.t(Msg(
                    "periodic.choice_again", label=name, filed=day(filed)))}))
        return out

    # -- /dinhky and "không có gì mới" ------------------------------------------------------------
    async def offer(self, turn: Turn) -> None:
        if not await self._chair_units(turn):
            await turn.say(Msg("periodic.chairs_only"))
        elif _drafting(turn):
            await turn.say(Msg("periodic.draft_open"))
        elif not await self.choices(turn):
            await turn.say(Msg("periodic.nothing_due"))
        else:
            await self.ask_choice(turn, {"kind": OFFER})

    async def nil_typed(self, turn: Turn) -> None:
        if not await self._chair_units(turn):
            await turn.say(Msg("periodic.chairs_only"))
            return
        owed = [row for row, _ in await self.offered(turn) if row.status in OWED]
        if not owed:
            await turn.say(Msg("periodic.nothing_due"))
        elif len(owed) == 1:
            await self.file_nil(turn, owed[0].id)
        else:
            await self.ask_choice(turn, {"kind": OFFER, "nil_only": True})

    async def chosen(self, turn: Turn, key: str) -> None:
        if key.startswith("n"):
            await self.file_nil(turn, int(key[1:]))
        else:
            await self.fill(turn, int(key[1:]))

    async def file_pressed(self, turn: Turn, code: ReplyCode) -> None:
        await self.fill(turn, code.ref)

    async def nil_pressed(self, turn: Turn, code: ReplyCode) -> None:
        await self.file_nil(turn, code.ref)

    async def _mine(self, turn: Turn, obligation_id: int
                    ) -> tuple[PeriodObligation, OrgUnit] | None:
        """The obligation, if it is one of the chair's own units'; else a short refusal."""
        units = await self._chair_units(turn)
        row = await turn.uow.obligations.by_id(obligation_id)
        if row is None or row.unit_id not in units:
            turn.notice = Msg("periodic.not_yours")
            await turn.say(Msg("periodic.not_yours"))
            return None
        return row, units[row.unit_id]

    async def fill(self, turn: Turn, obligation_id: int) -> None:
        found = await self._mine(turn, obligation_id)
        if found is None:
            return
        row, unit = found
        if _drafting(turn):
            await turn.say(Msg("periodic.draft_open"))
            return
        label = self.texts.of(turn.t, turn.lang, row)
        if row.status in FILED and row.submitted_at is not None:
            await turn.say(Msg("periodic.filing_again", label=label,
                               time=f"{row.submitted_at.astimezone(turn.tz):%H:%M %d/%m/%Y}"))
        await self.flow.start(turn, row.form_id, unit, turn.conversation,
                              context={"kind": row.kind, "period": row.period}, title=label)

    async def file_nil(self, turn: Turn, obligation_id: int) -> None:
        found = await self._mine(turn, obligation_id)
        if found is None:
            return
        row, _unit = found
        form = self.flow.engine.forms[row.form_id]
        report = await self.flow.store(turn, row.unit_id, row.form_id, form.version, {},
                                       period=row.period, nil=True)
        if report.status == "submitted":
            await turn.say(Msg("periodic.nil_filed",
                               label=self.texts.of(turn.t, turn.lang, row)))

    # -- the ledger -------------------------------------------------------------------------------
    def obligations(self, report: Report) -> list[ObligationMet]:
        """A stored report of a periodic form meets its period's obligation."""
        kind = self.texts.kind_of_form.get(report.form_id)
        return [] if kind is None else [ObligationMet(report, kind)]

    async def file(self, turn: Turn, met: ObligationMet) -> None:
        """Record the report in the ledger, or ask before it replaces the one filed."""
        report, kind = met.report, met.kind
        row = await turn.uow.obligations.get(report.unit_id, kind, report.period)
        if row is None:
            return  # no ledger row (the period was never opened for this unit): kept as is
        label = self.texts.of(turn.t, turn.lang, row)
        if row.report_id is None:
            status = self.texts.filed_status(row, report.submitted_at, report.nil)
            await turn.uow.obligations.record(row.id, status, report.id, report.submitted_at)
            await turn.uow.audit.write("obligation.filed", turn.now, subject=report.ref,
                                       details={"kind": kind, "period": row.period,
                                                "status": status},
                                       person_id=turn.person.id, identity_id=turn.identity.id)
            if status == "late":
                await turn.say(Msg("periodic.filed_late", label=label, due=day(row.due_on)))
            return
        first = await turn.uow.reports.get(row.report_id)
        await turn.uow.reports.set_status(report.id, "held")
        report.status = "held"
        await turn.say(Msg("periodic.already_filed", label=label, ref=first.ref if first else "",
                           time=(f"{first.submitted_at.astimezone(turn.tz):%H:%M %d/%m/%Y}"
                                 if first else "")))
        await self.ask_choice(turn, {"kind": REPLACE, "report": report.id, "obligation": row.id})

    async def replace(self, turn: Turn, pending: dict[str, Any], key: str) -> None:
        report = await turn.uow.reports.get(int(pending["report"]))
        row = await turn.uow.obligations.by_id(int(pending["obligation"]))
        if report is None or row is None or report.status != "held":
            await turn.say(Msg("periodic.replace_stale"))
            return
        label = self.texts.of(turn.t, turn.lang, row)
        if key != "thay_the":
            await turn.uow.reports.set_status(report.id, "kept_old")
            await turn.say(Msg("periodic.kept_old", label=label, ref=report.ref))
            return
        old_id = row.report_id
        if old_id is not None:
            await turn.uow.reports.set_status(old_id, "replaced")
        await turn.uow.reports.set_status(report.id, "submitted", replaces_id=old_id)
        first = row.submitted_at or report.submitted_at
        status = self.texts.filed_status(row, first, report.nil)
        await turn.uow.obligations.record(row.id, status, report.id, first, turn.now)
        await turn.uow.audit.write("obligation.replaced", turn.now, subject=report.ref,
                                   details={"kind": row.kind, "period": row.period,
                                            "replaced": old_id, "status": status},
                                   person_id=turn.person.id, identity_id=turn.identity.id)
        await turn.say(Msg("periodic.replaced", label=label, ref=report.ref))

    # -- /hanbaocao -------------------------------------------------------------------------------
    async def deadlines(self, turn: Turn) -> None:
        units = await self._chair_units(turn)
        if not units:
            await turn.say(Msg("periodic.chairs_only"))
            return
        today = turn.local_now.date()
        rows = await turn.uow.obligations.of_units(list(units), owed_only=True)
        if not rows:
            await turn.say(Msg("deadlines.none"))
            return
        many = len(units) > 1
        lines = []
        for row in rows:
            name = self._name(turn, row, units[row.unit_id], many)
            left = (row.due_on - today).days
            when = (Msg("deadlines.left", days=left) if left > 0 else Msg("deadlines.today")
                    if left == 0 else Msg("deadlines.late", days=-left))
            lines.append(turn.t(Msg("deadlines.line", label=name, due=day(row.due_on),
                                    when=turn.t(when))))
        await turn.say(Msg("deadlines.body", lines="\n".join(lines)))


def _drafting(turn: Turn) -> bool:
    """A report is being written: a periodic one waits until it is sent or cancelled."""
    return turn.draft.session is not None


class _Offer:
    def __init__(self, desk: PeriodicDesk) -> None:
        self.desk = desk

    async def choices(self, turn: Turn, pending: dict[str, Any]) -> list[Choice]:
        return await self.desk.choices(turn, nil_only=bool(pending.get("nil_only")))

    async def answer(self, turn: Turn, pending: dict[str, Any], key: str) -> None:
        await self.desk.chosen(turn, key)


class _Replace:
    def __init__(self, desk: PeriodicDesk) -> None:
        self.desk = desk

    async def choices(self, turn: Turn, pending: dict[str, Any]) -> list[Choice]:
        return [Choice("thay_the", {"vi": turn.t(Msg("periodic.replace_yes"))},
                       ("thay", "thay the", "co")),
                Choice("giu_cu", {"vi": turn.t(Msg("periodic.replace_no"))},
                       ("giu", "giu cu", "khong"))]

    async def answer(self, turn: Turn, pending: dict[str, Any], key: str) -> None:
        await self.desk.replace(turn, pending, key)
