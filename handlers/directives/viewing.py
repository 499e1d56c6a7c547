"""Who may see a directive, and what: the web pages' view of it.

An official sees the directives written in their subtree (and manages those of their unit or
below: publish, correct, withdraw) and the directives that reached units of their subtree,
with the ledger of their own subtree's units only: another subtree's answers are not theirs to
read. A chair sees the directives sent to their unit, through the unit's own ledger row. Any
other id is ``NotYours``, answered like a page that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.policy import DirectiveRule
from handlers.directives.figures import DirectiveFigures, figures_of
from handlers.directives.publishing import manages, official_units
from handlers.reports.page import NotYours
from storage.directive_models import Directive
from storage.models import OrgUnit
from storage.repositories.directives import OWING, LedgerRow
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class LedgerLine:
    row: LedgerRow
    reads: int
    members: tuple[int, str] | None  # (members, period of the monthly report)
    overdue: bool


@dataclass(frozen=True)
class DirectiveView:
    directive: Directive
    issuer: OrgUnit
    manages: bool  # may publish, correct, withdraw
    figures: DirectiveFigures | None  # None for a draft
    ledger: tuple[LedgerLine, ...]
    audience: tuple[OrgUnit, ...]  # a draft's chosen units (none: every CĐCS below)

    @property
    def overdue(self) -> list[LedgerLine]:
        return [line for line in self.ledger if line.overdue]


class DirectiveViewing:
    def __init__(self, rule: DirectiveRule) -> None:
        self.rule = rule

    async def listing(self, uow: UnitOfWork, person_id: int, today: date
                      ) -> list[DirectiveFigures | Directive]:
        """The directives an official sees, newest first: figures for those that went out,
        the directive itself for a draft."""
        units = await official_units(uow, person_id)
        paths = [u.path for u in units]
        out: list[DirectiveFigures | Directive] = []
        for directive in await uow.directives.visible(paths):
            issuer = await uow.units.get(directive.unit_id)
            managed = issuer is not None and manages(units, issuer)
            if directive.status == "draft":
                if managed:
                    out.append(directive)
                continue
            out.append(await figures_of(uow, directive, None if managed else paths, today,
                                        self.rule))
        return out

    async def view(self, uow: UnitOfWork, person_id: int, directive_id: int, today: date
                   ) -> DirectiveView:
        units = await official_units(uow, person_id)
        directive = await uow.directives.get(directive_id)
        issuer = await uow.units.get(directive.unit_id) if directive else None
        if directive is None or issuer is None:
            raise NotYours(directive_id)
        managed = manages(units, issuer)
        paths = None if managed else [u.path for u in units]
        if not managed and (directive.status == "draft" or not paths):
            raise NotYours(directive_id)
        rows = await uow.directives.ledger(directive.id, paths)
        if not managed and not rows:
            raise NotYours(directive_id)  # sent to none of this official's units
        chosen = await uow.units.many(list(directive.audience.get("units", ())))
        if directive.status == "draft":
            return DirectiveView(directive, issuer, managed, None, (),
                                 tuple(chosen[i] for i in sorted(chosen)))
        figures = await figures_of(uow, directive, paths, today, self.rule)
        ids = [r.unit.id for r in rows]
        reads = await uow.directives.reads_by_unit(directive.id, ids)
        _, members = await uow.directives.members(directive.id, paths, self.rule.members_form,
                                                  self.rule.members_question)
        late = directive.due_on < today and directive.status == "published"
        ledger = tuple(LedgerLine(r, reads.get(r.unit.id, 0), members.get(r.unit.id),
                                  late and r.recipient.state in OWING[directive.asks])
                       for r in rows)
        return DirectiveView(directive, issuer, managed, figures, ledger, ())

    async def document(self, uow: UnitOfWork, person_id: int, directive_id: int,
                       today: date) -> Directive:
        """The directive whose document an official may open (the same rule as its page)."""
        view = await self.view(uow, person_id, directive_id, today)
        if view.directive.file_data is None:
            raise NotYours(directive_id)
        return view.directive
