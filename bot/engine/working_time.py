"""Working hours: when a serious (not emergency) alert may go, and working-time deadlines.

"4 working hours" from Friday 16:00 ends on Monday at 10:30; a holiday is skipped like a
weekend. Pure: the calendar is data, times are aware datetimes, nothing reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Enough to cross the longest run of days off (Tết and a weekend) many times over.
_MAX_DAYS = 400


@dataclass(frozen=True)
class WorkingCalendar:
    tz: ZoneInfo
    weekdays: frozenset[int]  # Monday = 0
    start: time
    end: time
    holidays: frozenset[date]

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def next_open(self, when: datetime) -> datetime:
        """``when`` itself inside working hours, else the next opening."""
        local = when.astimezone(self.tz)
        day = local.date()
        for _ in range(_MAX_DAYS):
            if self.is_working_day(day):
                opens = datetime.combine(day, self.start, self.tz)
                closes = datetime.combine(day, self.end, self.tz)
                if local < opens:
                    return opens.astimezone(when.tzinfo)
                if local < closes:
                    return when
            day += timedelta(days=1)
            local = datetime.combine(day, time(0), self.tz)
        raise ValueError("the working calendar has no working day within a year")

    def add(self, when: datetime, minutes: float) -> datetime:
        """The moment ``minutes`` of working time after ``when``."""
        left = timedelta(minutes=minutes)
        current = self.next_open(when).astimezone(self.tz)
        for _ in range(_MAX_DAYS):
            closes = datetime.combine(current.date(), self.end, self.tz)
            if current + left <= closes:
                return (current + left).astimezone(when.tzinfo)
            left -= closes - current
            current = self.next_open(closes).astimezone(self.tz)
        raise ValueError("the working calendar has no working day within a year")
