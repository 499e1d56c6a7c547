"""The reporting calendar: periods, due dates off days off, reminder steps, overrides."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.engine.calendar import (
    deadline,
    due_date,
    is_overdue_listed,
    next_period,
    parse_period_key,
    period_of,
    steps,
)
from bot.policy import Policy, PolicyError, load_policy
from tests.engine.conftest import FORMS, TZ, local


def test_periods_and_their_keys(policy: Policy) -> None:
    thang, quy, nam = (policy.periods[k] for k in ("thang", "quy", "nam"))
    day = date(2026, 11, 21)
    assert period_of(thang, day).key == "2026-11"
    assert (period_of(quy, day).key, period_of(quy, day).starts) == ("2026-Q4", date(2026, 10, 1))
    assert period_of(nam, day).ends == date(2026, 12, 31)
    assert next_period(thang, period_of(thang, date(2026, 12, 5))).key == "2027-01"
    assert parse_period_key(quy, "2026-Q2").starts == date(2026, 4, 1)
    with pytest.raises(ValueError):
        parse_period_key(quy, "2026-Q5")


def test_a_due_date_on_a_weekend_or_holiday_moves_to_the_next_working_day(
    policy: Policy,
) -> None:
    thang, quy, nam = (policy.periods[k] for k in ("thang", "quy", "nam"))
    cal = policy.calendar
    assert due_date(thang, period_of(thang, date(2026, 11, 1)), cal) == date(2026, 11, 20)
    # 20/12/2026 is a Sunday.
    assert due_date(quy, period_of(quy, date(2026, 10, 1)), cal) == date(2026, 12, 21)
    # 20/02/2026 is in the Tết holiday (14-22/02) and 23/02 is a Monday.
    assert due_date(thang, period_of(thang, date(2026, 2, 1)), cal) == date(2026, 2, 23)
    assert due_date(nam, period_of(nam, date(2026, 1, 1)), cal) == date(2026, 11, 20)
    assert deadline(thang, period_of(thang, date(2026, 11, 1)), cal) == local(2026, 11, 21)


def test_reminder_steps_of_a_month_and_a_year(policy: Policy) -> None:
    thang, nam = policy.periods["thang"], policy.periods["nam"]
    cal = policy.calendar
    month = [(s.name, s.at) for s in steps(thang, period_of(thang, date(2026, 11, 1)), cal)]
    assert month == [
        ("before_3", local(2026, 11, 17, 8)), ("before_1", local(2026, 11, 19, 8)),
        ("due", local(2026, 11, 20, 8)), ("overdue_1", local(2026, 11, 22, 8)),
        ("overdue_2", local(2026, 11, 24, 8)), ("overdue_3", local(2026, 11, 26, 8))]
    year = [s.name for s in steps(nam, period_of(nam, date(2026, 1, 1)), cal)]
    assert year[:3] == ["before_7", "before_3", "before_1"]
    assert is_overdue_listed(thang, "overdue_2") and not is_overdue_listed(thang, "overdue_1")


def test_a_subtree_override_and_a_bad_calendar(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("calendar:\n  overrides:\n    DEMO_KCN: {thang: {due_day: 25, "
                    "remind_before: [5]}}\n", encoding="utf-8")
    policy = load_policy(FORMS, TZ, path)
    kcn = policy.period_overrides["DEMO_KCN"]["thang"]
    assert (kcn.due_day, kcn.remind_before) == (25, (5,))
    assert policy.periods["thang"].due_day == 20
    path.write_text("calendar:\n  overrides:\n    DEMO_KCN: {tuan: {due_day: 2}}\n",
                    encoding="utf-8")
    with pytest.raises(PolicyError,
                       match=r"calendar\.overrides\.DEMO_KCN\.tuan: no period 'tuan'"):
        load_policy(FORMS, TZ, path)
    path.write_text("calendar:\n  periods:\n    thang: {due_day: 32}\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"calendar\.periods\.thang\.due_day"):
        load_policy(FORMS, TZ, path)
