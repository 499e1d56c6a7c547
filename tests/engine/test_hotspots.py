"""Hot-spot rules, working hours and the escalation ladder: pure, no database."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.escalation import Ladder
from bot.policy import Policy, PolicyError, load_policy
from tests.engine.conftest import FORMS, TZ, local

PLAIN = {"linh_vuc": "thuong", "muc_do": "binh_thuong", "so_nguoi": 5,
         "mo_ta": "Hỏi về thưởng Tết", "tinh_trang": "dang_xu_ly"}


@pytest.mark.parametrize(("answers", "severity", "rules"), [
    ({"linh_vuc": "ngung_viec", "so_nguoi_ngung_viec": 3, "muc_do": "binh_thuong",
      "so_nguoi": 3}, "khan_cap", ("ngung_viec",)),
    ({"linh_vuc": "attvld", "so_nguoi_bi_thuong": 0, "co_tu_vong": True,
      "muc_do": "can_chu_y", "so_nguoi": 1}, "khan_cap", ("tai_nan_nang",)),
    ({"linh_vuc": "attvld", "so_nguoi_bi_thuong": 2, "co_tu_vong": False,
      "muc_do": "can_chu_y", "so_nguoi": 2}, "khan_cap", ("tai_nan_nang",)),
    ({**PLAIN, "muc_do": "khan_cap"}, "khan_cap", ("muc_do_khan_cap",)),
    ({**PLAIN, "muc_do": "nghiem_trong"}, "nghiem_trong", ("nghiem_trong",)),
    ({**PLAIN, "linh_vuc": "an_ninh"}, "nghiem_trong", ("nghiem_trong",)),
    ({**PLAIN, "so_nguoi": 50}, "nghiem_trong", ("nghiem_trong",)),
    ({**PLAIN, "linh_vuc": "tien_luong", "so_nguoi": 20, "tinh_trang": "chua"},
     "nghiem_trong", ("no_luong_dong_nguoi",)),
    ({**PLAIN, "linh_vuc": "tien_luong", "so_nguoi": 25, "tinh_trang": "can_ho_tro"},
     "nghiem_trong", ("no_luong_dong_nguoi",)),
])
def test_each_shipped_rule_opens_its_severity(
    policy: Policy, answers: dict[str, object], severity: str, rules: tuple[str, ...]
) -> None:
    hot = policy.rules.evaluate("bao_cao_nhanh", answers)
    assert hot is not None
    assert (hot.severity, hot.rules) == (severity, rules)


def test_the_highest_matching_severity_wins_and_every_match_is_kept(policy: Policy) -> None:
    answers = {"linh_vuc": "ngung_viec", "so_nguoi_ngung_viec": 80, "muc_do": "nghiem_trong",
               "so_nguoi": 80, "tinh_trang": "chua"}
    hot = policy.rules.evaluate("bao_cao_nhanh", answers)
    assert hot is not None and hot.severity == "khan_cap"
    assert hot.rules == ("ngung_viec", "nghiem_trong")


@pytest.mark.parametrize("answers", [
    PLAIN,
    {**PLAIN, "linh_vuc": "attvld", "so_nguoi_bi_thuong": 1, "co_tu_vong": False},
    {**PLAIN, "so_nguoi": 49},
    {**PLAIN, "linh_vuc": "tien_luong", "so_nguoi": 19, "tinh_trang": "chua"},
    {**PLAIN, "linh_vuc": "tien_luong", "so_nguoi": 40, "tinh_trang": "dang_xu_ly"},
])
def test_a_plain_report_opens_no_incident(policy: Policy, answers: dict[str, object]) -> None:
    assert policy.rules.evaluate("bao_cao_nhanh", answers) is None
    assert policy.rules.evaluate("another_form", {"linh_vuc": "ngung_viec"}) is None


# -- working hours ---------------------------------------------------------------------------
def test_working_hours_wait_for_the_next_opening_and_skip_holidays(policy: Policy) -> None:
    cal = policy.calendar
    friday_evening = local(2026, 11, 20, 18, 0)
    assert cal.next_open(friday_evening) == local(2026, 11, 23, 7, 30)
    inside = local(2026, 11, 17, 9, 15)
    assert cal.next_open(inside) == inside
    # 30/4 and 1/5 2026 are Thursday and Friday holidays: Wednesday evening -> Monday.
    assert cal.next_open(local(2026, 4, 29, 17, 0)) == local(2026, 5, 4, 7, 30)
    # Four working hours from Friday 15:00: two on Friday, two on Monday.
    assert cal.add(local(2026, 11, 20, 15, 0), 240) == local(2026, 11, 23, 9, 30)
    assert cal.add(local(2026, 11, 23, 7, 30), 240) == local(2026, 11, 23, 11, 30)


# -- the ladder ---------------------------------------------------------------------------
def test_an_emergency_ladder_brings_in_the_next_level_and_repeats_at_most_three_times(
    policy: Policy,
) -> None:
    ladder = policy.ladders["khan_cap"]
    # Three levels above the unit (district, province, and one more).
    assert ladder.alerts(0, 3) == [(0, 0)]
    assert ladder.alerts(1, 3) == [(0, 1), (1, 0)]
    assert ladder.alerts(2, 3) == [(0, 2), (1, 1), (2, 0)]
    assert ladder.alerts(3, 3) == [(0, 3), (1, 2), (2, 1)]
    assert ladder.alerts(4, 3) == [(1, 3), (2, 2)]
    assert ladder.alerts(5, 3) == [(2, 3)]
    assert ladder.has_more(4, 3) and not ladder.has_more(5, 3)
    assert ladder.alerts(6, 3) == []
    first = local(2026, 11, 21, 2, 0)
    assert ladder.due(1, first, policy.calendar) == local(2026, 11, 21, 2, 30)
    assert ladder.due(4, first, policy.calendar) == local(2026, 11, 21, 4, 0)


def test_a_serious_ladder_moves_up_after_four_working_hours_without_repeats(
    policy: Policy,
) -> None:
    ladder = policy.ladders["nghiem_trong"]
    assert ladder.alerts(0, 2) == [(0, 0)]
    assert ladder.alerts(1, 2) == [(1, 0)]
    assert not ladder.has_more(1, 2)
    first = ladder.first_alert(local(2026, 11, 20, 18, 0), policy.calendar)
    assert first == local(2026, 11, 23, 7, 30)
    assert ladder.due(1, first, policy.calendar) == local(2026, 11, 23, 11, 30)
    assert Ladder.from_dict(ladder.to_dict()) == ladder


# -- the policy file ------------------------------------------------------------------------
def test_a_policy_file_overrides_rules_ladder_and_hours(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "hot_spots:\n"
        "  rules:\n"
        "    - {id: bhxh, severity: nghiem_trong, when: {linh_vuc: bhxh}}\n"
        "escalation:\n"
        "  khan_cap: {ack_minutes: 15}\n"
        "working_hours:\n"
        "  start: '08:00'\n"
        "  holidays: [2026-11-23]\n",
        encoding="utf-8",
    )
    policy = load_policy(FORMS, TZ, path)
    hot = policy.rules.evaluate("bao_cao_nhanh", {**PLAIN, "linh_vuc": "bhxh"})
    assert hot is not None and hot.severity == "nghiem_trong"
    # The rules list replaces the shipped one; the ladder merges key by key.
    assert policy.rules.evaluate("bao_cao_nhanh", {"linh_vuc": "ngung_viec"}) is None
    assert policy.ladders["khan_cap"].ack_minutes == 15
    assert policy.ladders["khan_cap"].repeats_per_level == 3
    assert policy.calendar.next_open(local(2026, 11, 20, 18, 0)) == local(2026, 11, 24, 8, 0)


@pytest.mark.parametrize(("text", "message"), [
    ("hot_spots:\n  rules:\n    - {id: x, severity: rat_nang, when: {linh_vuc: khac}}\n",
     "hot_spots.rules.0.severity: 'rat_nang' is not one of khan_cap, nghiem_trong"),
    ("hot_spots:\n  rules:\n    - {id: x, severity: khan_cap, when: {luong: 1}}\n",
     "hot_spots.rules.0.when: 'luong' is not a question of bao_cao_nhanh"),
    ("hot_spots:\n  rules:\n    - {id: x, severity: khan_cap, when: {so_nguoi: {gtx: 1}}}\n",
     "hot_spots.rules.0.when: unknown operator 'gtx' for 'so_nguoi'"),
    ("escalation:\n  khan_cap: {ack_minutes: 0}\n",
     "escalation.khan_cap.ack_minutes: Input should be greater than 0"),
    ("escalation:\n  khan_cap: {hours: sometimes}\n", "escalation.khan_cap.hours:"),
    ("working_hours:\n  start: '17:30'\n", "working_hours: start must be before end"),
    ("working_hours:\n  days: [mon, funday]\n", "working_hours.days.1:"),
    ("working_hours:\n  holidays: [2026-13-01]\n", "not valid YAML: month must be in 1..12"),
    ("working_hours:\n  holidays: [mai]\n", "working_hours.holidays.0:"),
    ("escalaton: {}\n", "escalaton: Extra inputs are not permitted"),
    ("hot_spots: [\n", "not valid YAML"),
])
def test_a_bad_policy_file_stops_start_up_naming_file_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(FORMS, TZ, path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_a_missing_policy_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot be read"):
        load_policy(FORMS, TZ, tmp_path / "nope.yaml")



async def test_the_shipped_holidays_cover_2027_and_start_up_warns_of_a_year_without_any(
    policy: Policy, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from datetime import date

    from bot.app import build_app
    from bot.clock import ManualClock
    from bot.config import Settings

    # Tết Đinh Mùi, Giỗ Tổ and Quốc khánh 2027 are days off: a serious alert waits past them.
    opens = policy.calendar.next_open
    assert opens(local(2027, 2, 5, 9, 0)) == local(2027, 2, 12, 7, 30)
    assert opens(local(2027, 4, 16, 9, 0)) == local(2027, 4, 19, 7, 30)
    assert opens(local(2027, 9, 2, 9, 0)) == local(2027, 9, 6, 7, 30)
    # Covered now (2026 and 2027); from July 2027 the next twelve months reach 2028.
    assert policy.years_without_holidays(date(2026, 12, 2)) == []
    assert policy.years_without_holidays(date(2027, 7, 1)) == [2028]
    # Start-up says so in the log.
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
                        _env_file=None)  # type: ignore[call-arg]
    await build_app(settings, clock=ManualClock(local(2027, 7, 1, 9, 0))).close()
    assert any("no public holidays for 2028" in r.getMessage() for r in caplog.records
               if r.levelname == "WARNING")
    caplog.clear()
    await build_app(settings, clock=ManualClock(local(2026, 12, 2, 9, 0))).close()
    assert not [r for r in caplog.records if "no public holidays" in r.getMessage()]
