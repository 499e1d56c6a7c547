"""The reporting calendar: periods, due dates and the reminder steps of each period.

Pure date arithmetic over the policy's rules. A due date on a weekend or holiday moves to the
next working day (the working calendar knows the holidays). Reminders go at a fixed local
time: N days before the due date, on it, and every few days after it while still owed.
"""

from __future__ import annotations

import calendar as _months
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal, Protocol

from bot.engine.working_time import WorkingCalendar

Every = Literal["month", "quarter", "year"]


class Reminding(Protocol):
    """When reminders go around a due date (a period rule, the directives' rule)."""

    @property
    def remind_before(self) -> tuple[int, ...]: ...

    @property
    def remind_at(self) -> time: ...

    @property
    def overdue_every(self) -> int: ...

    @property
    def overdue_times(self) -> int: ...


@dataclass(frozen=True)
class PeriodRule:
    kind: str  # thang | quy | nam
    form_id: str
    every: Every
    due_day: int
    due_month: int | None = None  # for a yearly period: the month of its due date
    remind_before: tuple[int, ...] = (3, 1)  # days before the due date
    remind_at: time = time(8, 0)
    overdue_every: int = 2  # days between overdue reminders
    overdue_times: int = 3
    # After this many overdue reminders the unit is on its officials' overdue list.
    overdue_list_after: int = 2

    def with_changes(self, changes: dict[str, Any]) -> PeriodRule:
        return replace(self, **changes)


@dataclass(frozen=True)
class Period:
    kind: str
    key: str  # "2026-11", "2026-Q4", "2026"
    starts: date
    ends: date  # the last day


@dataclass(frozen=True)
class Step:
    name: str  # before_7, before_3, before_1, due, overdue_1...
    at: datetime  # aware, local


def period_of(rule: PeriodRule, day: date) -> Period:
    if rule.every == "month":
        last = _months.monthrange(day.year, day.month)[1]
        return Period(rule.kind, f"{day:%Y-%m}", day.replace(day=1), day.replace(day=last))
    if rule.every == "quarter":
        q = (day.month - 1) // 3 + 1
        first = date(day.year, 3 * q - 2, 1)
        last_month = 3 * q
        end = date(day.year, last_month, _months.monthrange(day.year, last_month)[1])
        return Period(rule.kind, f"{day.year}-Q{q}", first, end)
    return Period(rule.kind, str(day.year), date(day.year, 1, 1), date(day.year, 12, 31))


def parse_period_key(rule: PeriodRule, key: str) -> Period:
    """The period a key names ("2026-11", "2026-Q4", "2026"); ValueError if it is not one."""
    if rule.every == "month":
        year, month = key.split("-")
        return period_of(rule, date(int(year), int(month), 1))
    if rule.every == "quarter":
        year, q = key.split("-Q")
        if not 1 <= int(q) <= 4:
            raise ValueError(key)
        return period_of(rule, date(int(year), 3 * int(q), 1))
    return period_of(rule, date(int(key), 1, 1))


def next_period(rule: PeriodRule, period: Period) -> Period:
    return period_of(rule, period.ends + timedelta(days=1))


def nominal_due(rule: PeriodRule, period: Period) -> date:
    """The due date as the policy writes it, before moving off days off."""
    if rule.every == "year":
        month = rule.due_month or 12
    else:
        month = period.ends.month  # the month itself, or the quarter's last month
    year = period.ends.year
    return date(year, month, min(rule.due_day, _months.monthrange(year, month)[1]))


def due_date(rule: PeriodRule, period: Period, working: WorkingCalendar) -> date:
    """The due date, moved to the next working day when it falls on a weekend or holiday."""
    day = nominal_due(rule, period)
    for _ in range(60):
        if working.is_working_day(day):
            return day
        day += timedelta(days=1)
    raise ValueError("no working day within 60 days of the due date")


def steps(rule: PeriodRule, period: Period, working: WorkingCalendar) -> list[Step]:
    """Every reminder step of the period, in time order."""
    return reminder_steps(due_date(rule, period, working), rule, working.tz)


def reminder_steps(due: date, rule: Reminding, tz: tzinfo) -> list[Step]:
    """Reminders around a due date: N days before it, on it, then every few days after it
    (a period's report, a directive's answer: the same mechanism)."""
    out = [Step(f"before_{n}", datetime.combine(due - timedelta(days=n), rule.remind_at, tz))
           for n in sorted(set(rule.remind_before), reverse=True) if n > 0]
    out.append(Step("due", datetime.combine(due, rule.remind_at, tz)))
    out += [Step(f"overdue_{k}", datetime.combine(due + timedelta(days=k * rule.overdue_every),
                                                  rule.remind_at, tz))
            for k in range(1, rule.overdue_times + 1)]
    return out


def deadline(rule: PeriodRule, period: Period, working: WorkingCalendar) -> datetime:
    """The end of the due date, local: a report after it is late."""
    due = due_date(rule, period, working)
    return datetime.combine(due + timedelta(days=1), time(0), working.tz)


def is_overdue_listed(rule: PeriodRule, step_name: str) -> bool:
    """Whether, after this step has gone, a unit still owing is on the overdue list."""
    return step_name == f"overdue_{rule.overdue_list_after}"
