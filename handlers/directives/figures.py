"""A directive's figures over one subtree: units that received it, that disseminated it,
members reached against members, and members' own confirmations.

Members come from each unit's latest monthly report (the policy names the form and the
question), and the figures say which periods that was. Members' "Tôi đã đọc" are counted
per browser and shown as what they are: confirmations, never proof. The same figures serve
/chidao, /thongke, the weekly digest, the Excel export and the web page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.engine.messages import Msg
from bot.policy import DirectiveRule
from handlers.directives.messages import day, number
from storage.directive_models import Directive
from storage.repositories.directives import Tally
from storage.repositories.members import Members
from storage.uow import UnitOfWork

Translate = Callable[[Msg], str]
# Directives shown among a subtree's figures: those due from this many days ago on.
RECENT_DAYS = 30


@dataclass(frozen=True)
class DirectiveFigures:
    directive: Directive
    tally: Tally
    members: Members

    @property
    def received_rate(self) -> int:
        return _percent(self.tally.received, self.tally.units)

    @property
    def disseminated_rate(self) -> int:
        return _percent(self.tally.disseminated, self.tally.units)

    @property
    def reached_rate(self) -> int | None:
        return _percent(self.tally.reached, self.members.total) if self.members.total else None


def _percent(part: int, whole: int) -> int:
    return int(part * 100 / whole + 0.5) if whole else 0


async def figures_of(uow: UnitOfWork, directive: Directive, paths: Sequence[str] | None,
                     today: date, rule: DirectiveRule) -> DirectiveFigures:
    tally = await uow.directives.tally(directive, paths, today)
    members, _ = await uow.directives.members(directive.id, paths, rule.members_form,
                                              rule.members_question)
    return DirectiveFigures(directive, tally, members)


async def recent(uow: UnitOfWork, paths: Sequence[str], today: date, rule: DirectiveRule,
                 limit: int = 5) -> list[DirectiveFigures]:
    """Published directives that reached these subtrees, due in the last month or later."""
    since = today - timedelta(days=RECENT_DAYS)
    found = [d for d in await uow.directives.visible(paths, limit=limit * 4)
             if d.status == "published" and d.due_on >= since][:limit]
    out = []
    for directive in found:
        figures = await figures_of(uow, directive, paths, today, rule)
        if figures.tally.units:
            out.append(figures)
    return out


def members_note(t: Translate, members: Members) -> str:
    """Where the members' number comes from: which monthly reports, of how many units."""
    if members.last_period is None:
        return t(Msg("directive.members_unknown"))
    span = members.last_period if members.first_period == members.last_period \
        else f"{members.first_period}–{members.last_period}"
    return t(Msg("directive.members_from", periods=span, units=members.units))


def lines(t: Translate, f: DirectiveFigures) -> list[str]:
    """The figures in words (chat, digest): aggregates only."""
    d, k = f.directive, f.tally
    out = [t(Msg("directive.figures_title", number=d.id, title=d.title, due=day(d.due_on))),
           t(Msg("directive.figures_received", count=k.received, units=k.units,
                 rate=f.received_rate))]
    if d.asks == "disseminated":
        out.append(t(Msg("directive.figures_disseminated", count=k.disseminated,
                         units=k.units, rate=f.disseminated_rate)))
        members = f.members
        out.append(t(Msg("directive.figures_reached", reached=number(k.reached),
                         members=number(members.total) if members.total else "?",
                         rate=f"{f.reached_rate}%" if f.reached_rate is not None else "–",
                         note=members_note(t, members))))
    out.append(t(Msg("directive.figures_reads", count=number(k.reads))))
    if k.overdue:
        out.append(t(Msg("directive.figures_overdue", count=k.overdue)))
    return out
