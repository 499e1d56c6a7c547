"""The hot-spot board and one hot spot's page, and acting on it from the web.

The board lists the subtree's incidents by state (being worked: oldest first; resolved: the
latest first), narrowed by unit, severity and age. A hot spot's page shows the report as
privacy by level lets the reader read it (``ReportViews``: the same rule as the chat's
card), its photos, its log (notes by level) and the escalation ladder's next step. Acting on
it goes through the chat's own use cases (``IncidentDesk``) on a page's turn: the same
checks, the same conditional updates, the same messages to the reporter and to the other
officials; what the chat would have said to the actor is shown on the page instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.engine.messages import Msg
from bot.i18n import Translator
from handlers.conversation.reply_codes import ReplyCode
from handlers.conversation.turn import Turn
from handlers.incidents.alerts import Notifier
from handlers.incidents.desk import IncidentDesk, age_words
from handlers.incidents.escalation import Escalation, NextStep
from handlers.people.privacy import may_read
from handlers.reports.page import NotYours
from handlers.reports.viewing import ReportView, ReportViews
from handlers.workplace.seat import Seat
from storage.models import Incident, OrgUnit
from storage.uow import UnitOfWork

PAGE = 50
# The board's tabs: the states each shows.
TABS = {"open": ("open", "reopened"), "acknowledged": ("acknowledged",),
        "resolved": ("resolved",)}
# What each state allows, in the order the buttons show.
ACTIONS = {"open": ("acknowledge", "note", "resolve"),
           "reopened": ("acknowledge", "note", "resolve"),
           "acknowledged": ("note", "resolve"), "resolved": ("reopen",)}
NEEDS_NOTE = frozenset({"note", "resolve"})


@dataclass(frozen=True)
class BoardFilter:
    tab: str = "open"
    unit: OrgUnit | None = None
    severity: str | None = None
    older_than_days: int | None = None


@dataclass(frozen=True)
class BoardRow:
    incident: Incident
    ref: str
    unit: OrgUnit
    severity: str
    age: str
    state: str


@dataclass(frozen=True)
class Board:
    rows: tuple[BoardRow, ...]
    counts: dict[str, int]  # per tab
    more: bool


@dataclass(frozen=True)
class LogLine:
    time: str
    what: str
    name: str
    note: str


@dataclass(frozen=True)
class HotspotView:
    incident: Incident
    unit: OrgUnit
    report: ReportView
    severity: str
    state: str
    log: tuple[LogLine, ...]
    next_step: NextStep | None
    actions: tuple[str, ...]
    resolution: str

    @property
    def next_time(self) -> str:
        return self.next_step.local if self.next_step is not None else ""


class Hotspots:
    def __init__(self, desk: IncidentDesk, escalation: Escalation, notifier: Notifier,
                 reports: ReportViews, translator: Translator) -> None:
        self.desk = desk
        self.escalation = escalation
        self.notifier = notifier
        self.reports = reports
        self.tr = translator

    async def board(self, uow: UnitOfWork, seat: Seat, f: BoardFilter, now: datetime,
                    lang: str, page: int = 0) -> Board:
        paths = [f.unit.path] if f.unit is not None else seat.paths
        states = await uow.incidents.counts_by_state(paths)
        counts = {tab: sum(states.get(s, 0) for s in kinds) for tab, kinds in TABS.items()}
        before = now - timedelta(days=f.older_than_days) if f.older_than_days else None
        found = await uow.incidents.board(paths, TABS[f.tab], severity=f.severity,
                                          opened_before=before, limit=PAGE + 1,
                                          offset=page * PAGE)
        names = await self._names(uow, [i.acknowledged_by for i, _, _ in found[:PAGE]])
        rows = tuple(BoardRow(i, ref, u, self.notifier.severity(lang, i.severity),
                              self._age(lang, now - i.opened_at),
                              self._state(lang, i, names)) for i, ref, u in found[:PAGE])
        return Board(rows, counts, len(found) > PAGE)

    async def view(self, uow: UnitOfWork, seat: Seat, number: int, now: datetime,
                   lang: str) -> HotspotView:
        found = await uow.incidents.with_report(number)
        if found is None or not seat.covers(found[2]):
            raise NotYours(number)
        incident, report, unit = found
        card = await self.reports.view(uow, seat.visitor, report.id, lang, now)
        readable = may_read(seat.reader, unit)
        events = await uow.incidents.events(incident.id)
        names = await self._names(uow, [e.actor_person_id for e in events]
                                  + [incident.acknowledged_by])
        log = tuple(LogLine(
            self.notifier.local(e.at), self.tr.text(lang, f"incident.log.{e.kind}"),
            names.get(e.actor_person_id or 0, ""),
            "" if not e.note else e.note if readable else self.tr.text(lang, "incident.withheld"))
            for e in events)
        resolution = self.notifier.note(lang, incident.resolution, unit, seat.reader)
        return HotspotView(
            incident, unit, card, self.notifier.severity(lang, incident.severity),
            self._state(lang, incident, names), log,
            await self.escalation.next_step(uow, incident, unit, self.notifier.local),
            ACTIONS.get(incident.state, ()), resolution)

    async def act(self, turn: Turn, action: str, number: int, note: str) -> Msg | None:
        """One action through the chat's use case; a refusal of the form itself (an action
        the page does not offer, a resolution without its words) is returned, and nothing
        changes."""
        note = note.strip()[:2000]
        if action not in self.desk.actions:
            raise NotYours(number)
        if action in NEEDS_NOTE and not note:
            return Msg("workplace.note_needed")
        await self.desk.actions[action](turn, ReplyCode(action, number, note or None))
        return None

    async def _names(self, uow: UnitOfWork, ids: Sequence[int | None]) -> dict[int, str]:
        return await uow.people.names(sorted({i for i in ids if i}))

    def _state(self, lang: str, incident: Incident, names: dict[int, str]) -> str:
        if incident.state == "acknowledged" and incident.acknowledged_by is not None:
            return self.tr.text(lang, "incident.state_acknowledged_by",
                                name=names.get(incident.acknowledged_by, ""))
        return self.tr.text(lang, f"incident.state.{incident.state}")

    def _age(self, lang: str, age: timedelta) -> str:
        return self.tr.render(lang, age_words(age))
