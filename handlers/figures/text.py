"""Figures in words, for the weekly digest and /thongke: aggregates only, never a report's own
text (privacy by level: a digest reaches officials several levels above the unit)."""

from __future__ import annotations

from collections.abc import Callable

from bot.engine.form import Form
from bot.engine.messages import Msg
from bot.policy import DirectiveRule
from handlers.calendar.periods import PeriodTexts
from handlers.directives.figures import lines as directive_lines
from handlers.figures.chart import ChartText
from handlers.figures.gather import Figures, category_names

Translate = Callable[[Msg], str]


def grouped(n: int, lang: str) -> str:
    """A count as people read it: 19.250 in Vietnamese, 19,250 in English."""
    text = f"{n:,}"
    return text.replace(",", ".") if lang == "vi" else text


def percent(rate: float) -> int:
    """A rate as a whole percent, halves rounded up (2/3 -> 67, 1/8 -> 13)."""
    return int(rate * 100 + 0.5)


def duration(t: Translate, seconds: float | None) -> str:
    if seconds is None:
        return t(Msg("figures.no_median"))
    minutes = int(seconds // 60 + 0.5)
    if minutes < 60:
        return t(Msg("duration.minutes", m=minutes))
    hours, m = divmod(minutes, 60)
    if hours < 24:
        return t(Msg("duration.hours", h=hours, m=m))
    days, h = divmod(hours, 24)
    return t(Msg("duration.days", d=days, h=h))


class FiguresText:
    def __init__(self, forms: dict[str, Form], texts: PeriodTexts, stale_hours: float,
                 enrolment_target: float, directive_rule: DirectiveRule | None = None) -> None:
        # Directives' figures join the subtree's (their members come as this rule says).
        self.directive_rule = directive_rule
        self.forms = forms
        self.texts = texts
        self.stale_hours = stale_hours
        self.target = enrolment_target

    def body(self, t: Translate, lang: str, f: Figures, previous: str, quiet: str) -> list[str]:
        """The lines under the title. ``previous`` names the window before ("tuần trước");
        a quiet window gets the ``quiet`` line and only what still needs doing."""
        if f.quiet:
            lines = [t(Msg(quiet))]
            if f.incidents.stale:
                lines.append(self._stale(t, f))
            if f.overdue:
                lines.append(t(Msg("figures.overdue", count=f.overdue)))
            lines += self._enrolment(t, f, lang)
            return lines + self._directives(t, f)
        names = category_names(self.forms, lang)

        def n(value: int) -> str:
            return grouped(value, lang)

        lines = [t(Msg("figures.reports", count=n(f.total()), before=n(f.total(1)),
                       previous=t(Msg(previous))))]
        lines += [t(Msg("figures.category", name=names.get(k, k), count=n(f.count(k)),
                        before=n(f.count(k, 1))))
                  for k in f.categories() if f.count(k) or f.count(k, 1)]
        i = f.incidents
        lines.append(t(Msg("figures.incidents", opened=n(i.opened),
                           acknowledged=n(i.acknowledged), resolved=n(i.resolved))))
        lines.append(t(Msg("figures.waits", ack=duration(t, f.ack_median),
                           resolve=duration(t, f.resolve_median))))
        lines.append(self._stale(t, f))
        lines.append(t(Msg("figures.overdue", count=f.overdue) if f.overdue
                       else Msg("figures.overdue_none")))
        for c in f.compliance:
            if c.units:
                label = self.texts.label(t, lang, c.kind, c.period)
                lines.append(t(Msg("figures.compliance", label=label,
                                   rate=percent(c.on_time_rate or 0.0),
                                   count=n(c.on_time + c.nil), units=n(c.units))))
        lines += self._enrolment(t, f, lang)
        return lines + self._directives(t, f)

    @staticmethod
    def _directives(t: Translate, f: Figures) -> list[str]:
        lines = [line for d in f.directives for line in directive_lines(t, d)]
        for s in f.surveys:
            rate = t(Msg("figures.survey_rate", rate=s.rate, members=s.members.total)) \
                if s.rate is not None else ""
            lines.append(t(Msg("figures.survey_closed", title=s.title, count=s.responses,
                               units=s.units, rate=rate)))
        return lines

    def _stale(self, t: Translate, f: Figures) -> str:
        return t(Msg("figures.stale", hours=f"{self.stale_hours:g}", count=f.incidents.stale,
                     unacked=f.incidents.stale_unacknowledged))

    def _enrolment(self, t: Translate, f: Figures, lang: str) -> list[str]:
        rate = f.enrolment_rate
        if rate is None:
            return []
        key = "figures.enrolment_ok" if rate * 100 > self.target else "figures.enrolment_low"
        return [t(Msg(key, enrolled=grouped(f.enrolled, lang),
                      units=grouped(f.grassroots, lang), rate=percent(rate),
                      target=f"{self.target:g}"))]

    def chart_series(self, lang: str, f: Figures) -> list[tuple[str, list[int]]]:
        names = category_names(self.forms, lang)
        return [(names.get(k, k), f.reports[k]) for k in f.categories()]

    @staticmethod
    def chart_text(t: Translate, weeks: int) -> ChartText:
        return ChartText(t(Msg("chart.title", weeks=weeks)), t(Msg("chart.y_label")),
                         t(Msg("chart.other")))
