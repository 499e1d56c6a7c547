"""The policy: hot-spot rules, the escalation ladder and working hours.

The shipped defaults live in bot/forms/policy.yaml; a province's own YAML file
(TINHHINH_POLICY_FILE) is merged over them: mappings key by key, lists replaced whole. A bad
file stops start-up with one line naming the file, the field and the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.engine.calendar import PeriodRule
from bot.engine.conditions import Condition, ConditionError, parse_condition
from bot.engine.escalation import Ladder
from bot.engine.form import Form
from bot.engine.hotspots import HotSpotRule, HotSpotRules
from bot.engine.working_time import WorkingCalendar

SHIPPED = Path(__file__).parent / "forms" / "policy.yaml"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class PolicyError(ValueError):
    pass


def _time_of_day(value: Any) -> Any:
    if isinstance(value, int):  # YAML reads an unquoted 07:30 as 450 (base 60)
        return time(value // 60, value % 60)
    if isinstance(value, str) and not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        raise ValueError("a time of day is written HH:MM")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    severity: str
    when: dict[str, Any]


class HotSpotSpec(_Strict):
    form: str
    severities: list[str] = Field(min_length=1)
    rules: list[RuleSpec]


class LadderSpec(_Strict):
    hours: Literal["always", "working"]
    ack_minutes: float = Field(gt=0, le=7 * 24 * 60)
    repeats_per_level: int = Field(ge=0, le=20)
    unresolved_hours: float = Field(gt=0, le=30 * 24)
    unresolved_reminders: int = Field(ge=0, le=20)


class WorkingHoursSpec(_Strict):
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(min_length=1)
    start: time
    end: time
    holidays: list[date] = Field(default_factory=list)

    _clock = field_validator("start", "end", mode="before")(lambda v: _time_of_day(v))


class ReminderSpec(_Strict):
    remind_before: list[int] | None = None
    remind_at: time | None = None
    overdue_every: int | None = Field(default=None, ge=1, le=31)
    overdue_times: int | None = Field(default=None, ge=0, le=10)
    overdue_list_after: int | None = Field(default=None, ge=1, le=10)

    _clock = field_validator("remind_at", mode="before")(lambda v: _time_of_day(v))

    @field_validator("remind_before")
    @classmethod
    def _days(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and any(not 1 <= d <= 60 for d in value):
            raise ValueError("reminder days before the due date are 1-60")
        return value


class PeriodSpec(ReminderSpec):
    form: str
    every: Literal["month", "quarter", "year"]
    due_day: int = Field(ge=1, le=31)
    due_month: int | None = Field(default=None, ge=1, le=12)


class PeriodChange(ReminderSpec):
    due_day: int | None = Field(default=None, ge=1, le=31)
    due_month: int | None = Field(default=None, ge=1, le=12)


class CalendarSpec(_Strict):
    periods: dict[str, PeriodSpec]
    defaults: ReminderSpec = ReminderSpec()
    overrides: dict[str, dict[str, PeriodChange]] = Field(default_factory=dict)


class DigestSpec(_Strict):
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    at: time = time(8, 0)
    chart_weeks: int = Field(default=8, ge=2, le=26)
    open_incident_hours: float = Field(default=48, gt=0, le=24 * 60)
    enrolment_target: float = Field(default=80, ge=0, le=100)

    _clock = field_validator("at", mode="before")(lambda v: _time_of_day(v))


class DirectiveSpec(ReminderSpec):
    members_form: str = "bao_cao_thang"
    members_question: str = "so_doan_vien"


class OrgSpec(_Strict):
    levels: list[str] = Field(default_factory=list)
    # Officials manage people in their own subtree on the web (invites, roles, replacing a
    # chair); without it only administrators do.
    officials_manage: bool = True


class PolicySpec(_Strict):
    hot_spots: HotSpotSpec
    escalation: dict[str, LadderSpec]
    working_hours: WorkingHoursSpec
    calendar: CalendarSpec
    digest: DigestSpec = DigestSpec()
    directives: DirectiveSpec = DirectiveSpec()
    org: OrgSpec = OrgSpec()


@dataclass(frozen=True)
class DigestRule:
    """When the weekly digest goes (local time) and what it measures against."""

    weekday: int  # 0 = Monday
    at: time
    chart_weeks: int
    open_incident_hours: float
    enrolment_target: float  # percent


@dataclass(frozen=True)
class DirectiveRule:
    """Reminders to units that have not answered a directive (the reporting calendar's
    mechanism: days before the due date, on it, then every few days), and where the number
    of members a unit has is read (its latest monthly report's answer)."""

    remind_before: tuple[int, ...] = (3, 1)
    remind_at: time = time(8, 0)
    overdue_every: int = 2
    overdue_times: int = 3
    members_form: str = "bao_cao_thang"
    members_question: str = "so_doan_vien"


@dataclass(frozen=True)
class Policy:
    rules: HotSpotRules
    ladders: dict[str, Ladder]
    calendar: WorkingCalendar
    # The reporting calendar: period kind -> rule, and per-subtree changes by unit code.
    periods: dict[str, PeriodRule]
    period_overrides: dict[str, dict[str, PeriodRule]]
    digest: DigestRule
    # Level labels the org import knows, as typed in the policy.
    org_levels: tuple[str, ...] = ()
    directives: DirectiveRule = DirectiveRule()
    officials_manage: bool = True

    def years_without_holidays(self, today: date, days: int = 365) -> list[int]:
        """Calendar years touched by the next ``days`` days with no holiday in the policy:
        their due dates would not move off Tết (start-up warns)."""
        covered = {d.year for d in self.calendar.holidays}
        last = today + timedelta(days=days)
        return [y for y in range(today.year, last.year + 1) if y not in covered]


def load_policy(forms: dict[str, Form], tz: ZoneInfo, override: Path | None = None) -> Policy:
    raw = _read(SHIPPED)
    source = SHIPPED.name
    if override is not None:
        raw = _merge(raw, _read(override))
        source = str(override)
    try:
        spec = PolicySpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PolicyError(f"{source}: {where}: {first['msg']}") from None
    return _build(spec, forms, tz, source)


def _build(spec: PolicySpec, forms: dict[str, Form], tz: ZoneInfo, source: str) -> Policy:
    hs = spec.hot_spots
    if hs.form not in forms:
        raise PolicyError(f"{source}: hot_spots.form: no form '{hs.form}'")
    form = forms[hs.form]
    questions = {q.key for q in form.questions}
    for severity in hs.severities:
        if severity not in spec.escalation:
            raise PolicyError(f"{source}: escalation: no ladder for severity '{severity}'")
    rules = []
    for i, rule in enumerate(hs.rules):
        where = f"{source}: hot_spots.rules.{i}"
        if rule.severity not in hs.severities:
            raise PolicyError(f"{where}.severity: '{rule.severity}' is not one of "
                              f"{', '.join(hs.severities)}")
        try:
            condition: Condition = parse_condition(rule.when)
        except ConditionError as exc:
            raise PolicyError(f"{where}.when: {exc}") from None
        unknown = sorted(condition.keys() - questions)
        if unknown:
            raise PolicyError(f"{where}.when: '{unknown[0]}' is not a question of {hs.form}")
        rules.append(HotSpotRule(rule.id, rule.severity, condition))
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise PolicyError(f"{source}: hot_spots.rules: each rule needs its own id")
    wh = spec.working_hours
    if wh.start >= wh.end:
        raise PolicyError(f"{source}: working_hours: start must be before end")
    calendar = WorkingCalendar(
        tz, frozenset(WEEKDAYS.index(d) for d in wh.days), wh.start, wh.end,
        frozenset(wh.holidays),
    )
    ladders = {name: Ladder(s.hours, s.ack_minutes, s.repeats_per_level, s.unresolved_hours,
                            s.unresolved_reminders) for name, s in spec.escalation.items()}
    periods, overrides = _periods(spec.calendar, forms, source)
    d = spec.digest
    digest = DigestRule(WEEKDAYS.index(d.weekday), d.at, d.chart_weeks, d.open_incident_hours,
                        d.enrolment_target)
    return Policy(HotSpotRules(hs.form, tuple(hs.severities), tuple(rules)), ladders, calendar,
                  periods, overrides, digest, tuple(spec.org.levels),
                  _directives(spec.directives, forms, source), spec.org.officials_manage)


def _directives(spec: DirectiveSpec, forms: dict[str, Form], source: str) -> DirectiveRule:
    where = f"{source}: directives"
    form = forms.get(spec.members_form)
    if form is None:
        raise PolicyError(f"{where}.members_form: no form '{spec.members_form}'")
    question = next((q for q in form.questions if q.key == spec.members_question), None)
    if question is None or question.type != "integer":
        raise PolicyError(f"{where}.members_question: '{spec.members_question}' is not a "
                          f"whole-number question of {spec.members_form}")
    values = spec.model_dump(exclude_none=True)
    if "remind_before" in values:
        values["remind_before"] = tuple(values["remind_before"])
    values.pop("overdue_list_after", None)
    return DirectiveRule(**values)


def _periods(spec: CalendarSpec, forms: dict[str, Form], source: str
             ) -> tuple[dict[str, PeriodRule], dict[str, dict[str, PeriodRule]]]:
    defaults = spec.defaults.model_dump(exclude_none=True)
    periods: dict[str, PeriodRule] = {}
    for kind, p in spec.periods.items():
        if p.form not in forms:
            raise PolicyError(f"{source}: calendar.periods.{kind}.form: no form '{p.form}'")
        if p.every == "year" and p.due_month is None:
            raise PolicyError(f"{source}: calendar.periods.{kind}.due_month: a yearly "
                              "period needs the month of its due date")
        own = p.model_dump(exclude_none=True, exclude={"form", "every", "due_day", "due_month"})
        settings = {**defaults, **own}
        if "remind_before" in settings:
            settings["remind_before"] = tuple(settings["remind_before"])
        periods[kind] = PeriodRule(kind, p.form, p.every, p.due_day, p.due_month, **settings)
    overrides: dict[str, dict[str, PeriodRule]] = {}
    for unit, changes in spec.overrides.items():
        for kind, change in changes.items():
            if kind not in periods:
                raise PolicyError(f"{source}: calendar.overrides.{unit}.{kind}: no period "
                                  f"'{kind}'")
            values = change.model_dump(exclude_none=True)
            if "remind_before" in values:
                values["remind_before"] = tuple(values["remind_before"])
            overrides.setdefault(unit, {})[kind] = periods[kind].with_changes(values)
    return periods, overrides


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return over


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except OSError as exc:
        raise PolicyError(f"{path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    except ValueError as exc:  # a scalar YAML cannot build, such as the date 2026-13-01
        raise PolicyError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: must be a mapping")
    return data
