"""The figures an official reads about their subtree: reports by category week by week,
incidents and how fast they were taken up, overdue units, on-time reporting and enrolment.

Gathered once per subtree in a handful of set-based queries (``storage.repositories.stats``);
the weekly digest and /thongke render the same figures, so they always agree.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.engine.form import Form
from bot.policy import DirectiveRule
from handlers.calendar.overdue import Compliance, compliance
from handlers.directives.figures import DirectiveFigures, recent
from handlers.surveys.results import ClosedSurvey, closed_in
from storage.models import OrgUnit
from storage.repositories.stats import IncidentCounts
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Figures:
    unit: OrgUnit
    # Window boundaries (UTC), oldest first; the last window is the one reported on.
    bounds: tuple[datetime, ...]
    # Reports per category (or periodic form) and window, aligned with ``bounds``.
    reports: dict[str, list[int]]
    incidents: IncidentCounts
    # Median seconds from opening to acknowledgement / resolution, None when none happened.
    ack_median: float | None
    resolve_median: float | None
    overdue: int
    compliance: tuple[Compliance, ...]
    enrolled: int
    grassroots: int
    # Directives that reached the subtree lately, with their figures there.
    directives: tuple[DirectiveFigures, ...] = ()
    # Member surveys that closed in the reported window.
    surveys: tuple[ClosedSurvey, ...] = ()

    def count(self, key: str, back: int = 0) -> int:
        """Reports of one category in the reported window (``back`` windows earlier)."""
        series = self.reports.get(key)
        return series[-1 - back] if series and len(series) > back else 0

    def total(self, back: int = 0) -> int:
        return sum(self.count(k, back) for k in self.reports)

    @property
    def quiet(self) -> bool:
        """Nothing new in the window: no report, and no incident opened or worked."""
        i = self.incidents
        return self.total() == 0 and not (i.opened or i.acknowledged or i.resolved)

    @property
    def enrolment_rate(self) -> float | None:
        return self.enrolled / self.grassroots if self.grassroots else None

    def categories(self) -> list[str]:
        """Categories seen in any window: most reports in the reported window first."""
        return sorted(self.reports, key=lambda k: (-self.count(k), -sum(self.reports[k]), k))


async def gather(uow: UnitOfWork, unit: OrgUnit, bounds: tuple[datetime, ...], now: datetime,
                 today: date, stale_hours: float,
                 directive_rule: DirectiveRule | None = None, lang: str = "vi") -> Figures:
    paths = [unit.path]
    reports = await uow.stats.reports_by_week(paths, bounds)
    start, end = bounds[-2], bounds[-1]
    incidents = await uow.stats.incidents(paths, start, end, now - timedelta(hours=stale_hours))
    acks, fixes = await uow.stats.waits(paths, start, end)
    periods = await uow.stats.latest_due_periods(paths, today)
    ledger = tuple([await compliance(uow, kind, period, paths) for kind, period in periods])
    enrolled, total = await uow.stats.enrolment(paths)
    return Figures(
        unit=unit, bounds=bounds, reports=reports, incidents=incidents,
        ack_median=statistics.median(acks) if acks else None,
        resolve_median=statistics.median(fixes) if fixes else None,
        overdue=await uow.obligations.overdue_count(paths), compliance=ledger,
        enrolled=enrolled, grassroots=total,
        directives=tuple(await recent(uow, paths, today, directive_rule))
        if directive_rule is not None else (),
        surveys=tuple(await closed_in(uow, unit, start, end, directive_rule, lang))
        if directive_rule is not None else (),
    )


def category_names(forms: dict[str, Form], lang: str) -> dict[str, str]:
    """What a category key reads as: the choice label of a form's category question
    ("Tiền lương, nợ/chậm lương"), or a periodic form's title ("Báo cáo tháng")."""
    names = {form_id: form.title_text(lang) for form_id, form in forms.items()}
    for form in forms.values():
        key = form.index.get("category")
        question = next((q for q in form.questions if q.key == key), None)
        if question is not None:
            names.update({c.key: c.text(lang) for c in question.choices})
    return names
