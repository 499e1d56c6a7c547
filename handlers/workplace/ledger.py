"""The reporting ledger on a page: the subtree's CĐCS down the side, the latest periods of a
kind across, each cell the unit's state for that period (pending, on time, late, nil,
missing) and the last reminder it was sent; above it, the periods being filed now with how
many filed and, one click away, the units that have not filed yet.

Read from ``period_obligation``, the rows the calendar writes and the reports fill: the page,
/quahan and the export's ledger sheet read the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.engine.messages import Msg
from bot.i18n import Translator
from handlers.calendar.overdue import Compliance, compliance
from handlers.calendar.periods import PeriodTexts
from storage.models import OrgUnit, PeriodObligation
from storage.uow import UnitOfWork

PAGE = 50
PERIODS = 6  # columns


@dataclass(frozen=True)
class Cell:
    status: str  # "" where the unit had no row for the period (not yet in the tree)
    label: str
    reminder: str  # the last reminder step sent, as words ("" for none)
    report_id: int | None


@dataclass(frozen=True)
class LedgerRow:
    unit: OrgUnit
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Progress:
    kind: str
    period: str
    label: str
    due: date
    figures: Compliance


@dataclass(frozen=True)
class LedgerView:
    kind: str
    kinds: tuple[tuple[str, str], ...]  # (kind, its name)
    periods: tuple[tuple[str, str], ...]  # (period, label), newest first
    rows: tuple[LedgerRow, ...]
    progress: tuple[Progress, ...]
    more: bool
    waiting: str | None  # only units that have not filed this period, when asked


class Ledger:
    def __init__(self, texts: PeriodTexts, translator: Translator) -> None:
        self.texts = texts
        self.tr = translator

    def kinds(self, lang: str) -> tuple[tuple[str, str], ...]:
        return tuple((k, self.tr.text(lang, f"workplace.kind.{k}")) for k in self.texts.periods)

    async def view(self, uow: UnitOfWork, unit: OrgUnit, kind: str, today: date, lang: str,
                   page: int = 0, waiting: str | None = None) -> LedgerView:
        def t(m: Msg) -> str:
            return self.tr.render(lang, m)

        kind = kind if kind in self.texts.periods else next(iter(self.texts.periods))
        paths = [unit.path]
        periods = await uow.obligations.periods_of(kind, paths, PERIODS)
        waiting = waiting if waiting in periods else None
        units, cells = await uow.obligations.grid(kind, periods, paths, limit=PAGE + 1,
                                                  offset=page * PAGE, owed=waiting)
        rows = tuple(LedgerRow(u, tuple(self._cell(lang, cells.get((u.id, p)))
                                        for p in periods)) for u in units[:PAGE])
        progress = []
        for k, period, form_id, due in await uow.obligations.current(paths, today):
            progress.append(Progress(k, period, self.texts.label(t, lang, k, period, form_id),
                                     due, await compliance(uow, k, period, paths)))
        return LedgerView(kind, self.kinds(lang),
                          tuple((p, self.texts.label(t, lang, kind, p)) for p in periods),
                          rows, tuple(progress), len(units) > PAGE, waiting)

    def _cell(self, lang: str, row: PeriodObligation | None) -> Cell:
        if row is None:
            return Cell("", "", "", None)
        reminder = self.tr.render(lang, step_words(row.last_step)) if row.last_step else ""
        return Cell(row.status, self.tr.text(lang, f"workplace.status.{row.status}"), reminder,
                    row.report_id)


def step_words(step: str) -> Msg:
    """The last reminder a unit was sent, in words: "before_3", "due", "overdue_2"."""
    name, _, count = step.partition("_")
    if name == "before" and count.isdigit():
        return Msg("workplace.step_before", days=int(count))
    if name == "overdue" and count.isdigit():
        return Msg("workplace.step_overdue", count=int(count))
    return Msg("workplace.step_due")
