"""/quahan: the units of an official's subtrees that are on the overdue list, and how each
period stands (on time, late, nil, missing): the compliance figures the digest reads too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.engine.messages import Msg
from handlers.calendar.periods import PeriodTexts, day
from handlers.conversation.turn import OFFICIAL_ROLES, Turn
from storage.uow import UnitOfWork

LIST_LIMIT = 30
PROGRESS_NAMES = 15  # units not yet filed named per period; the web ledger has them all


@dataclass(frozen=True)
class Compliance:
    """One period in some subtrees: how many units are in each ledger state."""

    kind: str
    period: str
    on_time: int = 0
    late: int = 0
    nil: int = 0
    missing: int = 0
    pending: int = 0

    @property
    def units(self) -> int:
        return self.on_time + self.late + self.nil + self.missing + self.pending

    @property
    def filed(self) -> int:
        return self.on_time + self.late + self.nil

    @property
    def on_time_rate(self) -> float | None:
        """Units that reported by the due date (a nil report is a report) out of all units;
        None while nobody owes anything."""
        return (self.on_time + self.nil) / self.units if self.units else None


async def compliance(uow: UnitOfWork, kind: str, period: str, paths: Sequence[str]
                     ) -> Compliance:
    counts = await uow.obligations.compliance(kind, period, paths)
    return Compliance(kind, period, **{k: counts.get(k, 0) for k in
                                       ("on_time", "late", "nil", "missing", "pending")})


class OverdueDesk:
    def __init__(self, texts: PeriodTexts) -> None:
        self.texts = texts

    async def show(self, turn: Turn) -> None:
        paths = [u.path for m, u in await turn.memberships() if m.role in OFFICIAL_ROLES]
        if not paths:
            await turn.say(Msg("overdue.officials_only"))
            return
        uow = turn.uow
        progress = await self.progress(turn, paths)
        rows = await uow.obligations.overdue(paths, limit=LIST_LIMIT)
        if not rows:
            await turn.say(Msg("overdue.none"))
            if progress:
                await turn.say(Msg("overdue.progress_body", lines="\n".join(progress)))
            return
        total = await uow.obligations.overdue_count(paths)
        today = turn.local_now.date()
        lines = [turn.t(Msg("overdue.line", unit=unit.name,
                            label=self.texts.of(turn.t, turn.lang, row), due=day(row.due_on),
                            days=(today - row.due_on).days))
                 for row, unit in rows]
        if total > len(rows):
            lines.append(turn.t(Msg("overdue.more", count=total - len(rows))))
        figures = []
        for kind, period, form_id in dict.fromkeys((r.kind, r.period, r.form_id) for r, _ in rows):
            c = await compliance(uow, kind, period, paths)
            label = self.texts.label(turn.t, turn.lang, kind, period, form_id)
            figures.append(turn.t(Msg(
                "overdue.figures", label=label, on_time=c.on_time, late=c.late, nil=c.nil,
                missing=c.missing + c.pending, units=c.units)))
        await turn.say(Msg("overdue.body", count=total, lines="\n".join(lines),
                           figures="\n".join(figures)))
        if progress:
            await turn.say(Msg("overdue.progress_body", lines="\n".join(progress)))

    async def progress(self, turn: Turn, paths: list[str]) -> list[str]:
        """The periods being filed now: how many filed, and who has not yet (by name)."""
        out = []
        for kind, period, form_id, due in await turn.uow.obligations.current(
                paths, turn.local_now.date()):
            c = await compliance(turn.uow, kind, period, paths)
            waiting = c.missing + c.pending
            names = await turn.uow.obligations.not_filed(kind, period, paths, PROGRESS_NAMES)
            more = (turn.t(Msg("overdue.more", count=waiting - len(names)))
                    if waiting > len(names) else "")
            label = self.texts.label(turn.t, turn.lang, kind, period, form_id)
            out.append(turn.t(Msg(
                "overdue.progress" if waiting else "overdue.progress_done", label=label,
                due=day(due), filed=c.filed, units=c.units,
                names=", ".join(names) + (f" {more}" if more else ""))))
        return out
