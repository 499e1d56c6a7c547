"""The compliance ledger: one row per unit and period, written set-based.

Opening a period for 150,000 units is one INSERT ... SELECT (per subtree with its own due
date), never a loop: the row for a unit added mid-period comes from running it again, as
ON CONFLICT DO NOTHING keeps every existing row as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    Text,
    and_,
    cast,
    func,
    literal,
    not_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import json_builders, upsert
from storage.models import (
    ChannelIdentity,
    Membership,
    OrgUnit,
    OutboxMessage,
    PeriodObligation,
    Person,
)
from storage.repositories.org import grassroots, in_subtrees
from storage.repositories.outbox import PRIORITY
from storage.repositories.people import first_reachable_account

OWED = ("pending", "missing")
FILED = ("on_time", "late", "nil")
# On the overdue list: still owing after the listing reminder.
_LISTED = (PeriodObligation.status.in_(OWED), PeriodObligation.overdue_since.is_not(None))


@dataclass(frozen=True)
class Scope:
    """The units one calendar rule covers: those under ``under`` (everyone when None) that
    are not under a more specific override (``excluding`` paths)."""

    name: str  # "*" for the policy's default, else the override's unit code
    under: str | None = None
    excluding: tuple[str, ...] = ()

    def where(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.under is not None:
            where.append(OrgUnit.path.like(f"{self.under}%"))
        where += [not_(OrgUnit.path.like(f"{p}%")) for p in self.excluding]
        return where


@dataclass(frozen=True)
class ReminderText:
    """A reminder in one language, cut around the unit's name (joined in SQL)."""

    language: str
    parts: tuple[str, ...]  # text = parts joined by the unit's name
    buttons: tuple[tuple[str, str], ...]  # (reply-code verb, label); the key gets the row id
    hint: tuple[str, ...]  # what text channels show instead: parts joined by the row id
    # "Fill on the phone": the label of a web link to this row's form (made when sent).
    link: str | None = None


# The web page that opens (or continues) a unit's report for one period.
WEB_PERIODIC = "/web/periodic"


def _text(value: str) -> Any:
    return cast(literal(value), Text)  # typed, so PostgreSQL's json builders accept it


class Obligations:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def open_period(
        self, kind: str, period: str, form_id: str, due_on: date, now: datetime, *,
        under: str | None = None, excluding: Sequence[str] = (),
    ) -> int:
        """Add the row of every grassroots unit (under the path ``under``, outside the
        ``excluding`` paths) that has none for this period yet; returns how many were added."""
        where = [grassroots(), *Scope("", under, tuple(excluding)).where()]
        rows = select(
            OrgUnit.id, literal(kind), literal(period), literal(form_id), literal(due_on),
            literal("pending"), literal(now, PeriodObligation.created_at.type),
            literal(now, PeriodObligation.updated_at.type),
        ).where(and_(*where))
        stmt = upsert(self.s, PeriodObligation.__table__).from_select(
            ["unit_id", "kind", "period", "form_id", "due_on", "status", "created_at",
             "updated_at"], rows,
        ).on_conflict_do_nothing(index_elements=["unit_id", "kind", "period"])
        result = await self.s.execute(stmt)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def sweep_missing(self, today: date, now: datetime) -> int:
        """Every row still pending whose due date is before ``today`` (local) is missing."""
        result = await self.s.execute(
            update(PeriodObligation)
            .where(PeriodObligation.status == "pending", PeriodObligation.due_on < today)
            .values(status="missing", updated_at=now)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def _owed_in(self, kind: str, period: str, scope: Scope) -> list[ColumnElement[bool]]:
        return [PeriodObligation.kind == kind, PeriodObligation.period == period,
                PeriodObligation.status.in_(OWED), *scope.where()]

    async def remind(
        self, kind: str, period: str, step: str, scope: Scope, text: ReminderText,
        default_language: str, now: datetime,
    ) -> int:
        """Queue this step's reminder to every enrolled chair (one account each: their first
        reachable one) of every unit in the scope that still owes the period's report, whose
        language is ``text.language``: one INSERT ... SELECT, whatever the number of units.
        The dedupe key names unit, period, step and account, so a step run again adds
        nothing."""
        obj, arr = json_builders(self.s)
        body: Any = _text(text.parts[0])
        for part in text.parts[1:]:
            body = body.concat(OrgUnit.name).concat(_text(part))
        ref = cast(PeriodObligation.id, String)
        buttons = arr(*(arr(_text(f"{verb} ").concat(ref), _text(label))
                        for verb, label in text.buttons))
        hint: Any = _text(text.hint[0])
        for part in text.hint[1:]:
            hint = hint.concat(ref).concat(_text(part))
        fields = [_text("text"), body, _text("codes"), buttons, _text("code_hint"), hint]
        if text.link is not None:
            fields += [_text("link"), obj(_text("url"), _text(""), _text("label"),
                                          _text(text.link), _text("path"),
                                          _text(f"{WEB_PERIODIC}/").concat(ref))]
        payload = obj(*fields)
        first_account = first_reachable_account(Membership)
        key = (_text(f"remind:{kind}:{period}:{step}:").concat(cast(OrgUnit.id, String))
               .concat(_text(":")).concat(cast(ChannelIdentity.id, String)))
        rows = (
            select(
                ChannelIdentity.id, ChannelIdentity.channel, ChannelIdentity.address,
                literal("reminder"), literal(PRIORITY["reminder"]), payload, literal("pending"),
                literal(0), literal(now, OutboxMessage.next_attempt_at.type), key,
                literal(now, OutboxMessage.created_at.type),
            )
            .select_from(PeriodObligation)
            .join(OrgUnit, OrgUnit.id == PeriodObligation.unit_id)
            .join(Membership, and_(Membership.unit_id == PeriodObligation.unit_id,
                                   Membership.role == "chair"))
            .join(Person, Person.id == Membership.person_id)
            .join(ChannelIdentity, ChannelIdentity.id == first_account)
            .where(*self._owed_in(kind, period, scope),
                   func.coalesce(Person.language, default_language) == text.language)
        )
        stmt = upsert(self.s, OutboxMessage.__table__).from_select(
            ["identity_id", "channel", "address", "kind", "priority", "payload", "status",
             "attempts", "next_attempt_at", "dedupe_key", "created_at"], rows,
        ).on_conflict_do_nothing(index_elements=["dedupe_key"])
        result = await self.s.execute(stmt)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def stepped(self, kind: str, period: str, step: str, scope: Scope, now: datetime,
                      *, listed: bool) -> int:
        """Note the step on every owed row of the scope; a listing step puts them on the
        overdue list. Returns how many rows still owe."""
        values: dict[str, Any] = {"last_step": step, "updated_at": now}
        if listed:
            values["overdue_since"] = func.coalesce(PeriodObligation.overdue_since, now)
        in_scope = select(OrgUnit.id).where(*scope.where())
        where = [PeriodObligation.kind == kind, PeriodObligation.period == period,
                 PeriodObligation.status.in_(OWED)]
        if scope.under is not None or scope.excluding:
            where.append(PeriodObligation.unit_id.in_(in_scope))
        result = await self.s.execute(update(PeriodObligation).where(*where).values(**values))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def overdue(self, paths: Sequence[str] | None, *, kind: str | None = None,
                      period: str | None = None, limit: int | None = None
                      ) -> Sequence[tuple[PeriodObligation, OrgUnit]]:
        """Units on the overdue list (still owing after the listing reminder) under these
        subtree paths (every unit when None), longest overdue first."""
        stmt = (
            select(PeriodObligation, OrgUnit)
            .join(OrgUnit, OrgUnit.id == PeriodObligation.unit_id)
            .where(*_LISTED)
            .order_by(PeriodObligation.due_on, OrgUnit.path, PeriodObligation.kind)
        )
        if paths is not None:
            stmt = stmt.where(in_subtrees(paths) if paths
                              else literal(False))
        if kind is not None:
            stmt = stmt.where(PeriodObligation.kind == kind)
        if period is not None:
            stmt = stmt.where(PeriodObligation.period == period)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [(o, u) for o, u in (await self.s.execute(stmt)).all()]

    async def overdue_count(self, paths: Sequence[str]) -> int:
        if not paths:
            return 0
        return int(await self.s.scalar(
            select(func.count()).select_from(PeriodObligation)
            .join(OrgUnit, OrgUnit.id == PeriodObligation.unit_id)
            .where(*_LISTED, in_subtrees(paths))
        ) or 0)

    async def listed_in(self, kind: str, period: str, scope: Scope
                        ) -> Sequence[tuple[int, str, str]]:
        """(unit id, name, path) of the scope's units on the period's overdue list."""
        rows = await self.s.execute(
            select(OrgUnit.id, OrgUnit.name, OrgUnit.path)
            .join(PeriodObligation, PeriodObligation.unit_id == OrgUnit.id)
            .where(*self._owed_in(kind, period, scope), *_LISTED)
            .order_by(OrgUnit.path)
        )
        return [(int(i), str(n), str(p)) for i, n, p in rows.all()]

    async def current(self, paths: Sequence[str], today: date
                      ) -> list[tuple[str, str, str, date]]:
        """Per period kind, the period being filed now in these subtrees (the earliest whose
        due date has not passed): (kind, period, form, due date)."""
        if not paths:
            return []
        first = (select(PeriodObligation.kind, func.min(PeriodObligation.due_on).label("due"))
                 .join(OrgUnit, OrgUnit.id == PeriodObligation.unit_id)
                 .where(PeriodObligation.due_on >= today, in_subtrees(paths))
                 .group_by(PeriodObligation.kind).subquery())
        rows = await self.s.execute(
            select(PeriodObligation.kind, PeriodObligation.period, PeriodObligation.form_id,
                   PeriodObligation.due_on)
            .join(first, and_(first.c.kind == PeriodObligation.kind,
                              first.c.due == PeriodObligation.due_on))
            .distinct().order_by(PeriodObligation.due_on, PeriodObligation.kind))
        return [(k, p, f, d) for k, p, f, d in rows.all()]

    async def not_filed(self, kind: str, period: str, paths: Sequence[str], limit: int
                        ) -> list[str]:
        """Names of the subtrees' units that have not filed the period yet, in tree order."""
        rows = await self.s.scalars(
            select(OrgUnit.name).join(PeriodObligation, PeriodObligation.unit_id == OrgUnit.id)
            .where(PeriodObligation.kind == kind, PeriodObligation.period == period,
                   PeriodObligation.status.in_(OWED), in_subtrees(paths))
            .order_by(OrgUnit.path).limit(limit))
        return list(rows.all())

    async def get(self, unit_id: int, kind: str, period: str) -> PeriodObligation | None:
        return await self.s.scalar(
            select(PeriodObligation).where(
                PeriodObligation.unit_id == unit_id, PeriodObligation.kind == kind,
                PeriodObligation.period == period,
            ).with_for_update()
        )

    async def by_id(self, obligation_id: int) -> PeriodObligation | None:
        return await self.s.scalar(
            select(PeriodObligation).where(PeriodObligation.id == obligation_id)
            .with_for_update()
        )

    async def record(self, obligation_id: int, status: str, report_id: int,
                     submitted_at: datetime, now: datetime | None = None) -> None:
        """The obligation is met by this report; ``submitted_at`` is the first filing's time
        (a replacement keeps it)."""
        await self.s.execute(
            update(PeriodObligation).where(PeriodObligation.id == obligation_id)
            .values(status=status, report_id=report_id, submitted_at=submitted_at,
                    updated_at=now or submitted_at)
        )

    async def of_units(self, unit_ids: Sequence[int], *, owed_only: bool = False
                       ) -> Sequence[PeriodObligation]:
        if not unit_ids:
            return []
        stmt = select(PeriodObligation).where(PeriodObligation.unit_id.in_(unit_ids))
        if owed_only:
            stmt = stmt.where(PeriodObligation.status.in_(OWED))
        return (await self.s.scalars(
            stmt.order_by(PeriodObligation.due_on, PeriodObligation.id))).all()

    async def compliance(self, kind: str, period: str, paths: Sequence[str]
                         ) -> dict[str, int]:
        """How many units of these subtrees are in each state for the period."""
        stmt = (
            select(PeriodObligation.status, func.count())
            .join(OrgUnit, OrgUnit.id == PeriodObligation.unit_id)
            .where(PeriodObligation.kind == kind, PeriodObligation.period == period)
            .group_by(PeriodObligation.status)
        )
        if paths:
            stmt = stmt.where(in_subtrees(paths))
        return {status: int(n) for status, n in (await self.s.execute(stmt)).all()}

    async def periods_of(self, kind: str, paths: Sequence[str], count: int) -> list[str]:
        """The latest ``count`` periods of a kind opened in these subtrees, newest first."""
        rows = await self.s.scalars(
            select(PeriodObligation.period).join(OrgUnit, OrgUnit.id == PeriodObligation.unit_id)
            .where(PeriodObligation.kind == kind, in_subtrees(paths))
            .group_by(PeriodObligation.period)
            .order_by(PeriodObligation.period.desc()).limit(count))
        return list(rows.all())

    async def grid(self, kind: str, periods: Sequence[str], paths: Sequence[str], *,
                   limit: int, offset: int = 0, owed: str | None = None
                   ) -> tuple[list[OrgUnit], dict[tuple[int, str], PeriodObligation]]:
        """One page of the ledger: the subtrees' grassroots units in tree order (only those
        still owing ``owed`` when given) and their rows for these periods."""
        stmt = select(OrgUnit).where(in_subtrees(paths), grassroots())
        if owed is not None:
            stmt = stmt.where(OrgUnit.id.in_(
                select(PeriodObligation.unit_id).where(
                    PeriodObligation.kind == kind, PeriodObligation.period == owed,
                    PeriodObligation.status.in_(OWED))))
        units = list((await self.s.scalars(
            stmt.order_by(OrgUnit.path).limit(limit).offset(offset))).all())
        if not units or not periods:
            return units, {}
        rows = await self.s.scalars(select(PeriodObligation).where(
            PeriodObligation.unit_id.in_([u.id for u in units]),
            PeriodObligation.kind == kind, PeriodObligation.period.in_(list(periods))))
        return units, {(r.unit_id, r.period): r for r in rows.all()}
