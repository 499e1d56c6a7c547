"""Directives and their ledger, written set-based.

Publishing to 1,000 units is one SELECT of the units, one multi-row INSERT of their ledger
rows (each with its random member token) and one INSERT ... SELECT of the messages per
language; a reminder step is one INSERT ... SELECT per language and state. Nothing loops over
units issuing a statement each.

Messages to the units' chairs go through storage.repositories.unit_messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    case,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import upsert
from storage.directive_models import Directive, DirectiveRead, DirectiveRecipient
from storage.models import OrgUnit
from storage.repositories.members import Members, latest_members
from storage.repositories.org import grassroots, in_subtrees
from storage.repositories.unit_messages import Sent, UnitRows, new_token, to_chairs

# The states that still owe an answer, for each thing a directive asks.
OWING = {"received": ("pending",), "disseminated": ("pending", "received")}
DONE = {"received": ("received", "disseminated"), "disseminated": ("disseminated",)}


@dataclass(frozen=True)
class LedgerRow:
    recipient: DirectiveRecipient
    unit: OrgUnit


@dataclass(frozen=True)
class Tally:
    """A directive's figures over the units of one subtree."""

    units: int = 0
    received: int = 0  # received or disseminated
    disseminated: int = 0
    reached: int = 0  # members reached, as chairs reported
    reads: int = 0  # members' own confirmations
    overdue: int = 0


class Directives:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # -- the directive ------------------------------------------------------------------------
    async def add(self, **values: Any) -> Directive:
        row = Directive(**values)
        self.s.add(row)
        await self.s.flush()
        return row

    async def get(self, directive_id: int, *, lock: bool = False) -> Directive | None:
        stmt = select(Directive).where(Directive.id == directive_id)
        if lock:
            stmt = stmt.with_for_update()
        return await self.s.scalar(stmt)

    async def visible(self, paths: Sequence[str], limit: int = 50) -> Sequence[Directive]:
        """Directives written in these subtrees, or sent to a unit in them; newest first."""
        if not paths:
            return []
        mine = select(OrgUnit.id).where(in_subtrees(paths))
        reached = (select(DirectiveRecipient.directive_id)
                   .where(DirectiveRecipient.unit_id.in_(mine)))
        stmt = (select(Directive)
                .where((Directive.unit_id.in_(mine)) | (Directive.id.in_(reached)))
                .order_by(Directive.id.desc()).limit(limit))
        return (await self.s.scalars(stmt)).all()

    # -- the ledger ----------------------------------------------------------------------------
    async def audience(self, path: str, chosen: Sequence[int] = ()) -> list[int]:
        """Grassroots units under ``path`` (only the ``chosen`` ones when given)."""
        stmt = select(OrgUnit.id).where(grassroots(), OrgUnit.path.like(f"{path}%"))
        if chosen:
            stmt = stmt.where(OrgUnit.id.in_(list(chosen)))
        return list((await self.s.scalars(stmt.order_by(OrgUnit.path))).all())

    async def open_ledger(self, directive_id: int, unit_ids: Sequence[int],
                          now: datetime) -> int:
        """One ledger row per unit (those already there are kept): one multi-row INSERT."""
        if not unit_ids:
            return 0
        rows = [{"directive_id": directive_id, "unit_id": u, "token": new_token(),
                 "state": "pending", "created_at": now, "updated_at": now} for u in unit_ids]
        stmt = upsert(self.s, DirectiveRecipient.__table__).on_conflict_do_nothing(
            index_elements=["directive_id", "unit_id"])
        result = await self.s.execute(stmt, rows)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def send(self, directive_id: int, sent: Sent, default_language: str, now: datetime,
                   *, kind: str, key: str, states: Sequence[str] | None = None) -> int:
        """Queue ``sent`` to the chairs of the directive's ledger rows (in ``states`` when
        given): storage.repositories.unit_messages."""
        where: list[ColumnElement[bool]] = [DirectiveRecipient.directive_id == directive_id]
        if states is not None:
            where.append(DirectiveRecipient.state.in_(list(states)))
        rows = UnitRows(DirectiveRecipient, where, "/web/directives/r/")
        return await to_chairs(self.s, rows, sent, default_language, now, kind=kind, key=key)

    async def stepped(self, directive_id: int, step: str, states: Sequence[str],
                      now: datetime) -> int:
        """Note the reminder step on every row still owing; returns how many owe."""
        result = await self.s.execute(
            update(DirectiveRecipient)
            .where(DirectiveRecipient.directive_id == directive_id,
                   DirectiveRecipient.state.in_(list(states)))
            .values(last_step=step, updated_at=now))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def recipient(self, recipient_id: int, *, lock: bool = False
                        ) -> tuple[DirectiveRecipient, Directive, OrgUnit] | None:
        stmt = (select(DirectiveRecipient, Directive, OrgUnit)
                .join(Directive, Directive.id == DirectiveRecipient.directive_id)
                .join(OrgUnit, OrgUnit.id == DirectiveRecipient.unit_id)
                .where(DirectiveRecipient.id == recipient_id))
        if lock:
            stmt = stmt.with_for_update(of=DirectiveRecipient)
        row = (await self.s.execute(stmt)).first()
        return (row[0], row[1], row[2]) if row else None

    async def by_token(self, token: str
                       ) -> tuple[DirectiveRecipient, Directive, OrgUnit] | None:
        row = (await self.s.execute(
            select(DirectiveRecipient, Directive, OrgUnit)
            .join(Directive, Directive.id == DirectiveRecipient.directive_id)
            .join(OrgUnit, OrgUnit.id == DirectiveRecipient.unit_id)
            .where(DirectiveRecipient.token == token))).first()
        return (row[0], row[1], row[2]) if row else None

    async def of_units(self, unit_ids: Sequence[int]
                       ) -> Sequence[tuple[DirectiveRecipient, Directive, OrgUnit]]:
        """The published directives sent to these units, newest first."""
        if not unit_ids:
            return []
        rows = await self.s.execute(
            select(DirectiveRecipient, Directive, OrgUnit)
            .join(Directive, Directive.id == DirectiveRecipient.directive_id)
            .join(OrgUnit, OrgUnit.id == DirectiveRecipient.unit_id)
            .where(DirectiveRecipient.unit_id.in_(list(unit_ids)),
                   Directive.status == "published")
            .order_by(Directive.id.desc()).limit(50))
        return [(r, d, u) for r, d, u in rows.all()]

    async def answer(self, recipient_id: int, values: dict[str, Any]) -> None:
        await self.s.execute(update(DirectiveRecipient)
                             .where(DirectiveRecipient.id == recipient_id).values(**values))

    async def ledger(self, directive_id: int, paths: Sequence[str] | None
                     ) -> list[LedgerRow]:
        """The directive's rows for units under these paths (all when None), in tree order."""
        stmt = (select(DirectiveRecipient, OrgUnit)
                .join(OrgUnit, OrgUnit.id == DirectiveRecipient.unit_id)
                .where(DirectiveRecipient.directive_id == directive_id)
                .order_by(OrgUnit.path))
        if paths is not None:
            stmt = stmt.where(in_subtrees(paths))
        return [LedgerRow(r, u) for r, u in (await self.s.execute(stmt)).all()]

    async def tally(self, directive: Directive, paths: Sequence[str] | None,
                    today: date) -> Tally:
        """Counts over the subtree's rows: one grouped statement, plus the members' reads."""
        done = DONE[directive.asks]
        r = DirectiveRecipient
        scope = [r.directive_id == directive.id]
        if paths is not None:
            scope.append(r.unit_id.in_(select(OrgUnit.id).where(in_subtrees(paths))))
        owing = case((r.state.not_in(done), 1), else_=0)
        row = (await self.s.execute(
            select(func.count(), func.sum(case((r.state != "pending", 1), else_=0)),
                   func.sum(case((r.state == "disseminated", 1), else_=0)),
                   func.sum(func.coalesce(r.reached, 0)), func.sum(owing))
            .where(*scope))).one()
        reads_scope = [DirectiveRead.directive_id == directive.id]
        if paths is not None:
            reads_scope.append(DirectiveRead.unit_id.in_(
                select(OrgUnit.id).where(in_subtrees(paths))))
        reads = await self.s.scalar(select(func.count()).select_from(DirectiveRead)
                                    .where(*reads_scope))
        # Owing is overdue once the due date has passed (local day, as the ledger reads).
        overdue = int(row[4] or 0) if directive.due_on < today else 0
        return Tally(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0), int(row[3] or 0),
                     int(reads or 0), overdue)

    async def reads_by_unit(self, directive_id: int, unit_ids: Sequence[int]
                            ) -> dict[int, int]:
        if not unit_ids:
            return {}
        rows = await self.s.execute(
            select(DirectiveRead.unit_id, func.count())
            .where(DirectiveRead.directive_id == directive_id,
                   DirectiveRead.unit_id.in_(list(unit_ids)))
            .group_by(DirectiveRead.unit_id))
        return {int(u): int(n) for u, n in rows.all()}

    async def members(self, directive_id: int, paths: Sequence[str] | None, form_id: str,
                      question: str) -> tuple[Members, dict[int, tuple[int, str]]]:
        """Members of the directive's units in the subtree, from each unit's latest monthly
        report that says how many (a nil report says nothing): the total, and per unit
        (members, period)."""
        units = select(DirectiveRecipient.unit_id).where(
            DirectiveRecipient.directive_id == directive_id)
        if paths is not None:
            units = units.where(DirectiveRecipient.unit_id.in_(
                select(OrgUnit.id).where(in_subtrees(paths))))
        return await latest_members(self.s, units, form_id, question)

    async def for_export(self, path: str, start: datetime, end: datetime
                         ) -> list[tuple[Directive, DirectiveRecipient, OrgUnit, int]]:
        """Ledger rows of the subtree's units for directives published in [start, end), with
        the members' confirmations of each unit; by directive, then tree order."""
        reads = (select(func.count()).select_from(DirectiveRead)
                 .where(DirectiveRead.directive_id == DirectiveRecipient.directive_id,
                        DirectiveRead.unit_id == DirectiveRecipient.unit_id)
                 .correlate(DirectiveRecipient).scalar_subquery())
        rows = await self.s.execute(
            select(Directive, DirectiveRecipient, OrgUnit, reads)
            .join(DirectiveRecipient, DirectiveRecipient.directive_id == Directive.id)
            .join(OrgUnit, OrgUnit.id == DirectiveRecipient.unit_id)
            .where(Directive.published_at >= start, Directive.published_at < end,
                   OrgUnit.path.like(f"{path}%"))
            .order_by(Directive.id, OrgUnit.path))
        return [(d, r, u, int(n or 0)) for d, r, u, n in rows.all()]

    # -- members' confirmations ------------------------------------------------------------
    async def read(self, directive_id: int, unit_id: int, device: str, now: datetime) -> bool:
        """A member's "Tôi đã đọc"; False when this browser already confirmed."""
        stmt = upsert(self.s, DirectiveRead.__table__).values(
            directive_id=directive_id, unit_id=unit_id, device=device, at=now,
        ).on_conflict_do_nothing(index_elements=["directive_id", "device"])
        result = await self.s.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def has_read(self, directive_id: int, device: str) -> bool:
        found = await self.s.scalar(select(DirectiveRead.id).where(
            DirectiveRead.directive_id == directive_id, DirectiveRead.device == device))
        return found is not None

    async def drop(self, directive_id: int) -> None:
        """A draft thrown away before it went out."""
        await self.s.execute(delete(Directive).where(Directive.id == directive_id,
                                                     Directive.status == "draft"))
