"""What the API reads: pages of one subtree's units, reports, hot spots and ledger rows, as
plain typed records. A report's free-text answers follow privacy by level for the token's
unit (``may_read``), exactly as for an official of that unit: above the direct upper level
they are null and named in ``withheld``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.engine.form import Form
from handlers.api.tokens import Caller
from handlers.people.privacy import may_read
from storage.uow import UnitOfWork

MAX_PAGE = 1000


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_after: int | None  # the "after" of the next page; None: this was the last


def _page(items: list[dict[str, Any]], limit: int) -> Page:
    return Page(items, items[-1]["id"] if len(items) == limit else None)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class ApiReading:
    def __init__(self, forms: dict[str, Form]) -> None:
        # Per form, the answers that are free text (or files): withheld by level.
        self.private = {k: {q.key for q in f.questions if q.free_text or q.kind.gathers}
                        for k, f in forms.items()}

    async def units(self, uow: UnitOfWork, caller: Caller, after: int, limit: int) -> Page:
        rows = await uow.api.units(caller.unit.path, after, limit)
        return _page([{"id": u.id, "code": u.code, "name": u.name, "level": u.level,
                       "parent_id": u.parent_id, "depth": u.depth} for u in rows], limit)

    async def reports(self, uow: UnitOfWork, caller: Caller, after: int, limit: int,
                      since: datetime | None = None) -> Page:
        rows = await uow.api.reports(caller.unit.path, after, limit, since)
        reader = caller.reader
        items = []
        for report, unit in rows:
            private = self.private.get(report.form_id, set())
            readable = may_read(reader, unit)
            answers = {k: (v if readable or k not in private else None)
                       for k, v in report.answers.items()}
            items.append({
                "id": report.id, "ref": report.ref, "unit_id": unit.id, "unit_code": unit.code,
                "form": report.form_id, "form_version": report.form_version,
                "period": report.period, "category": report.category,
                "severity": report.severity, "status": report.status, "nil": report.nil,
                "submitted_at": _time(report.submitted_at), "answers": answers,
                "withheld": sorted(k for k in report.answers if k in private and not readable),
            })
        return _page(items, limit)

    async def incidents(self, uow: UnitOfWork, caller: Caller, after: int, limit: int) -> Page:
        rows = await uow.api.incidents(caller.unit.path, after, limit)
        reader = caller.reader
        return _page([{
            "id": i.id, "report_ref": ref, "unit_id": u.id, "unit_code": u.code,
            "severity": i.severity, "state": i.state, "opened_at": _time(i.opened_at),
            "acknowledged_at": _time(i.acknowledged_at), "resolved_at": _time(i.resolved_at),
            "resolution": i.resolution if may_read(reader, u) else None,
        } for i, ref, u in rows], limit)

    async def ledger(self, uow: UnitOfWork, caller: Caller, after: int, limit: int,
                     kind: str | None = None, period: str | None = None) -> Page:
        rows = await uow.api.ledger(caller.unit.path, after, limit, kind, period)
        return _page([{
            "id": o.id, "unit_id": u.id, "unit_code": u.code, "kind": o.kind,
            "period": o.period, "form": o.form_id, "due_on": o.due_on.isoformat(),
            "status": o.status, "report_id": o.report_id,
            "submitted_at": _time(o.submitted_at), "last_reminder": o.last_step,
        } for o, u in rows], limit)
