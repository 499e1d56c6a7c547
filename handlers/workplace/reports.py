"""The workplace's report list: the reports a person may open, newest first, narrowed by unit,
period, form, category, severity and a search.

A chair lists their own unit's; an official their subtrees' (a unit chosen from a URL must
be inside them: ``unit_for``). The search matches a report's number everywhere and its typed
words (folded: "no luong" finds "nợ lương") only where privacy by level lets the searcher
read them, in the query itself (``ReportFind.readable``): a search is never a way to learn
what a withheld text says. A page is the next 50 (no total counted over a province's year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.engine.form import Form, Question
from bot.engine.text import fold
from bot.i18n import Translator
from handlers.workplace.seat import Seat
from storage.models import OrgUnit, Report
from storage.repositories.reports import ReportFind
from storage.uow import UnitOfWork

PAGE = 50
_NUMBER = re.compile(r"^[A-Za-z]{0,3}-?[0-9][0-9-]*$")


@dataclass(frozen=True)
class ReportFilter:
    unit: OrgUnit | None = None
    period: str | None = None
    form_id: str | None = None
    category: str | None = None
    severity: str | None = None
    text: str = ""


@dataclass(frozen=True)
class ReportRow:
    report: Report
    unit: OrgUnit
    time: str
    form: str
    category: str
    severity: str
    hotspot: int | None


@dataclass(frozen=True)
class ReportPage:
    rows: tuple[ReportRow, ...]
    more: bool


class ReportList:
    def __init__(self, forms: dict[str, Form], translator: Translator, tz: ZoneInfo) -> None:
        self.forms = forms
        self.tr = translator
        self.tz = tz

    def choices(self, lang: str, role: str) -> list[tuple[str, str]]:
        """What a filter offers: the forms ("form"), or the choices of the forms' category
        or severity question: (key, label), as the forms say."""
        if role == "form":
            return [(k, f.title_text(lang)) for k, f in self.forms.items()]
        found: dict[str, str] = {}
        for form in self.forms.values():
            q = _question(form, role)
            found.update({c.key: c.text(lang) for c in q.choices} if q else {})
        return list(found.items())

    async def page(self, uow: UnitOfWork, seat: Seat, f: ReportFilter, lang: str,
                   page: int = 0) -> ReportPage:
        text = f.text.strip()[:100]
        find = ReportFind(
            under=f.unit.path if f.unit is not None else None, period=f.period or None,
            form_id=f.form_id or None, category=f.category or None,
            severity=f.severity or None, words=fold(text) or None,
            number=text.upper() if _NUMBER.match(text) else None,
            own_units=tuple(seat.reader.own_units),
            official_units=tuple(seat.reader.official_units))
        own = [u.id for u in seat.chairs]
        found = await uow.reports.search(seat.paths, own, find, PAGE + 1, page * PAGE)
        hot = await uow.incidents.of_reports([r.id for r, _ in found[:PAGE]])
        rows = []
        for report, unit in found[:PAGE]:
            form = self.forms.get(report.form_id)
            rows.append(ReportRow(
                report, unit, f"{report.submitted_at.astimezone(self.tz):%d/%m/%Y %H:%M}",
                form.title_text(lang) if form else report.form_id,
                _label(form, "category", report.category, lang),
                _label(form, "severity", report.severity, lang),
                hot[report.id].id if report.id in hot else None))
        return ReportPage(tuple(rows), len(found) > PAGE)


def _question(form: Form | None, role: str) -> Question | None:
    """The form's question that plays ``role`` (category, severity), if it has one."""
    key = form.index.get(role) if form is not None else None
    return next((q for q in form.questions if q.key == key), None) if form and key else None


def _label(form: Form | None, role: str, value: str | None, lang: str) -> str:
    q = _question(form, role)
    choice = next((c for c in q.choices if c.key == value), None) if q and value else None
    return choice.text(lang) if choice is not None else (value or "")
