"""A stored report on a web page: who may open it, and what of it they read.

The report's own unit's people open it; so do the officials of any unit above it, who read
its words and its files only as privacy by level allows (``may_read``: the direct upper
level). Anyone else gets ``NotYours``, answered like a page that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.engine.form import Form
from bot.i18n import Translator
from handlers.delivery.reachability import unit_ids_upward
from handlers.people.privacy import Reader, may_read
from handlers.reports.page import NotYours, Visitor
from handlers.reports.render import Renderer
from storage.models import OrgUnit, Report
from storage.uow import UnitOfWork

# A stored file's signed address for a reader allowed to see it (None: none can be made).
MediaPath = Callable[[str, datetime], str | None]


@dataclass(frozen=True)
class Line:
    label: str
    value: str
    files: tuple[tuple[str, str | None, bool], ...] = ()  # (label, address, is a photo)


@dataclass(frozen=True)
class ReportView:
    report: Report
    unit: OrgUnit
    title: str
    lines: tuple[Line, ...]
    withheld: bool


class ReportViews:
    def __init__(self, forms: dict[str, Form], renderer: Renderer, translator: Translator,
                 media_path: MediaPath) -> None:
        self.forms = forms
        self.renderer = renderer
        self.tr = translator
        self.media_path = media_path

    async def view(self, uow: UnitOfWork, who: Visitor, report_id: int, lang: str,
                   now: datetime) -> ReportView:
        report = await uow.reports.get(report_id)
        unit = await uow.units.get(report.unit_id) if report else None
        form = self.forms.get(report.form_id) if report else None
        if report is None or unit is None or form is None:
            raise NotYours(report_id)
        reader = Reader.of(await uow.memberships.of_person(who.person_id))
        above = set(unit_ids_upward(unit)[1:])
        if unit.id not in reader.own_units and not above & reader.official_units:
            raise NotYours(report_id)
        readable = may_read(reader, unit)
        lines = []
        for q in form.questions:
            if q.key not in report.answers:
                continue
            value = report.answers[q.key]
            label = q.noun(lang)
            if (q.free_text or q.kind.gathers) and value and not readable:
                lines.append(Line(label, self.tr.text(lang, "incident.withheld")))
                continue
            files: tuple[tuple[str, str | None, bool], ...] = ()
            if q.kind.gathers and isinstance(value, list):
                files = tuple((str(item.get("name") or item.get("kind")),
                               self.media_path(str(item["ref"]), now)
                               if "/" in str(item.get("ref", "")) else None,
                               item.get("kind") == "photo") for item in value)
            lines.append(Line(label, self.renderer.value(lang, q, value), files))
        return ReportView(report, unit, form.title_text(lang), tuple(lines), not readable)
