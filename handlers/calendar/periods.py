"""Periodic reports in people's words: "Báo cáo quý IV/2026", due dates, ledger states.

Shared by the reminders, /dinhky, /hanbaocao and /quahan, so a period reads the same
everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.engine.calendar import PeriodRule
from bot.engine.form import Form
from bot.engine.messages import Msg
from storage.models import PeriodObligation

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}

Translate = Callable[[Msg], str]


class PeriodTexts:
    def __init__(self, periods: dict[str, PeriodRule], forms: dict[str, Form],
                 tz: ZoneInfo) -> None:
        self.periods = periods
        self.forms = forms
        self.tz = tz
        self.kind_of_form = {rule.form_id: kind for kind, rule in periods.items()}

    def label(self, t: Translate, lang: str, kind: str, period: str,
              form_id: str | None = None) -> str:
        """"Báo cáo tháng 11/2026", "Báo cáo quý IV/2026", "Báo cáo năm 2026"."""
        rule = self.periods.get(kind)
        form = self.forms.get(form_id or (rule.form_id if rule else ""))
        title = form.title_text(lang) if form is not None else kind
        if rule is None or rule.every == "year":
            return t(Msg("period.year", form=title, year=period))
        if rule.every == "quarter":
            year, q = period.split("-Q")
            return t(Msg("period.quarter", form=title, year=year, q=q, roman=ROMAN[int(q)]))
        year, month = period.split("-")
        return t(Msg("period.month", form=title, year=year, month=month))

    def of(self, t: Translate, lang: str, row: PeriodObligation) -> str:
        return self.label(t, lang, row.kind, row.period, row.form_id)

    def local_day(self, when: datetime) -> date:
        return when.astimezone(self.tz).date()

    def filed_status(self, row: PeriodObligation, first_filed: datetime, nil: bool) -> str:
        """The ledger state a report leaves: nil, or on time / late by the first filing."""
        if nil:
            return "nil"
        return "on_time" if self.local_day(first_filed) <= row.due_on else "late"


def day(d: date) -> str:
    return f"{d:%d/%m/%Y}"
