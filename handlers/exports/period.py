"""Which period an export covers: "2026-10" (a month), "2026-Q4" (a quarter), "2026" (a year),
also typed as "10/2026", "Q4/2026" or "quy 4 2026", and the ledger periods inside it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.engine.text import fold

# Matched on folded text, where "/" and "-" are spaces: "2026-10" reads "2026 10".
_MONTH = re.compile(r"^(\d{4}) (\d{1,2})$|^(?:thang )?(\d{1,2}) (\d{4})$")
_QUARTER = re.compile(r"^(\d{4}) ?q([1-4])$|^(?:q|quy) ?([1-4]) (\d{4})$")
_YEAR = re.compile(r"^(?:nam )?(\d{4})$")


@dataclass(frozen=True)
class ExportPeriod:
    key: str  # 2026-10 | 2026-Q4 | 2026
    every: str  # month | quarter | year
    start: date
    end: date  # the day after the last day

    def keys(self, every: str) -> list[str]:
        """The ledger periods of one kind (month, quarter, year) inside this period."""
        year = self.start.year
        if every == "month":
            first = self.start.month
            last = 12 if self.every == "year" else first + (2 if self.every == "quarter" else 0)
            return [f"{year}-{m:02d}" for m in range(first, last + 1)]
        if every == "quarter" and self.every != "month":
            first = (self.start.month - 1) // 3 + 1
            return [f"{year}-Q{q}" for q in range(first, 5 if self.every == "year" else first + 1)]
        if every == "year" and self.every == "year":
            return [str(year)]
        return []


def parse_period(text: str) -> ExportPeriod | None:
    """None when ``text`` is not a month, quarter or year this bot could have data for."""
    typed = fold(text).strip()
    if m := _MONTH.match(typed):
        year, month = (int(m[1]), int(m[2])) if m[1] else (int(m[4]), int(m[3]))
        if not 1 <= month <= 12 or not 2000 <= year <= 2100:
            return None
        end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return ExportPeriod(f"{year}-{month:02d}", "month", date(year, month, 1), end)
    if m := _QUARTER.match(typed):
        year, q = (int(m[1]), int(m[2])) if m[1] else (int(m[4]), int(m[3]))
        if not 2000 <= year <= 2100:
            return None
        end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
        return ExportPeriod(f"{year}-Q{q}", "quarter", date(year, 3 * q - 2, 1), end)
    if m := _YEAR.match(typed):
        year = int(m[1])
        if not 2000 <= year <= 2100:
            return None
        return ExportPeriod(str(year), "year", date(year, 1, 1), date(year + 1, 1, 1))
    return None


def recent_periods(today: date) -> list[ExportPeriod]:
    """What /xuat offers without an argument: last month, this month, this quarter, last
    quarter, this year."""
    last_month = date(today.year - 1, 12, 1) if today.month == 1 else today.replace(
        month=today.month - 1, day=1)
    q = (today.month - 1) // 3 + 1
    last_q = f"{today.year - 1}-Q4" if q == 1 else f"{today.year}-Q{q - 1}"
    keys = [f"{last_month:%Y-%m}", f"{today:%Y-%m}", f"{today.year}-Q{q}", last_q,
            str(today.year)]
    return [p for p in (parse_period(k) for k in keys) if p is not None]
