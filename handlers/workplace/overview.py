"""The workplace's first page: a subtree's indicators as the union's plans count them, the
digest's chart and what changed this week.

The figures are the digest's own (``handlers.figures.gather`` over the same windows, the
same words for the week's lines), so the page, /thongke and the Monday digest always agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.engine.messages import Msg
from bot.i18n import Translator
from bot.policy import DigestRule
from handlers.figures.chart import weekly_chart
from handlers.figures.digest import week_bounds
from handlers.figures.gather import Figures, gather
from handlers.figures.text import FiguresText, duration, grouped, percent
from storage.models import OrgUnit
from storage.repositories.incidents import ACTIVE_STATES
from storage.uow import UnitOfWork

_DAY = timedelta(days=1)
_T = Callable[..., str]


@dataclass(frozen=True)
class Indicator:
    key: str  # the element's id on the page
    label: str
    value: str
    detail: str = ""
    short: bool = False  # below its target: shown as needing attention


@dataclass(frozen=True)
class OverviewView:
    unit: OrgUnit
    figures: Figures
    indicators: tuple[Indicator, ...]
    week: tuple[str, ...]  # what changed this week, as the digest says it


class Overview:
    def __init__(self, rule: DigestRule, words: FiguresText, translator: Translator,
                 tz: ZoneInfo) -> None:
        self.rule = rule
        self.words = words
        self.tr = translator
        self.tz = tz

    async def figures(self, uow: UnitOfWork, unit: OrgUnit, now: datetime, lang: str,
                      weeks: int = 2) -> Figures:
        """The digest's windows ending tomorrow at midnight: the last seven days are the last
        window. The page's words need two windows (against the seven days before); the
        chart, a request of its own, asks for the digest's eight: a province's page does not
        wait on two months of reports being counted."""
        local = now.astimezone(self.tz)
        bounds = week_bounds(local.date() + _DAY, self.tz, weeks)
        return await gather(uow, unit, bounds, now, local.date(), self.rule.open_incident_hours,
                            self.words.directive_rule, lang)

    async def view(self, uow: UnitOfWork, unit: OrgUnit, now: datetime,
                   lang: str) -> OverviewView:
        f = await self.figures(uow, unit, now, lang)

        def t(key: str, **params: object) -> str:
            return self.tr.render(lang, Msg(key, **params))

        items = [self._enrolment(t, f, lang)]
        for c in f.compliance:
            if c.units:
                items.append(Indicator(
                    f"on-time-{c.kind}",
                    t("workplace.on_time", label=self.words.texts.label(
                        lambda m: self.tr.render(lang, m), lang, c.kind, c.period)),
                    f"{percent(c.on_time_rate or 0.0)}%",
                    t("workplace.of_units", count=grouped(c.on_time + c.nil, lang),
                      units=grouped(c.units, lang))))
        i = f.incidents
        states = await uow.incidents.counts_by_state([unit.path])
        active = sum(states.get(s, 0) for s in ACTIVE_STATES)
        items += [
            Indicator("open-hotspots", t("workplace.open_hotspots"), grouped(active, lang),
                      t("workplace.stale", hours=f"{self.words.stale_hours:g}",
                        count=grouped(i.stale, lang)),
                      short=bool(i.stale)),
            Indicator("ack-median", t("workplace.ack_median"),
                      duration(lambda m: self.tr.render(lang, m), f.ack_median)),
            Indicator("resolve-median", t("workplace.resolve_median"),
                      duration(lambda m: self.tr.render(lang, m), f.resolve_median)),
            Indicator("overdue", t("workplace.overdue"), grouped(f.overdue, lang),
                      short=bool(f.overdue)),
        ]
        for d in f.directives:
            items.append(Indicator(
                f"directive-{d.directive.id}", t("workplace.directive", title=d.directive.title),
                f"{d.received_rate}%" if d.tally.units else "–",
                t("workplace.directive_detail", received=d.tally.received,
                  disseminated=d.tally.disseminated, units=d.tally.units)))
        body = self.words.body(lambda m: self.tr.render(lang, m), lang, f,
                               "figures.previous_days", "stats.quiet")
        return OverviewView(unit, f, tuple(items), tuple(body))

    def _enrolment(self, t: _T, f: Figures, lang: str) -> Indicator:
        rate = f.enrolment_rate
        return Indicator(
            "enrolment", t("workplace.enrolment"),
            f"{percent(rate)}%" if rate is not None else "–",
            t("workplace.enrolment_detail", enrolled=grouped(f.enrolled, lang),
              units=grouped(f.grassroots, lang), target=f"{self.words.target:g}"),
            short=rate is not None and rate * 100 < self.words.target)

    def chart(self, lang: str, figures: Figures) -> bytes:
        weeks = [f"{b.astimezone(self.tz):%d/%m}" for b in figures.bounds[:-1]]
        return weekly_chart(weeks, self.words.chart_series(lang, figures),
                            self.words.chart_text(lambda m: self.tr.render(lang, m),
                                                  len(weeks)))
