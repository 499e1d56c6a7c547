"""The engine on its own: no database, no clock, no channel."""

from __future__ import annotations

from datetime import date

import pytest

from bot.engine import effects as fx
from bot.engine.conversation import Engine, EngineConfig
from bot.engine.form import parse_form
from bot.engine.inputs import AttachmentInput, ChoiceInput, CommandInput, TextInput, TimeoutInput
from bot.engine.messages import Msg
from bot.engine.session import CONFIRM, Session
from bot.forms import load_catalog

CATALOG = load_catalog()
ENGINE = Engine(CATALOG.forms, CATALOG.common, EngineConfig())


def run(*inputs: object, session: Session | None = None) -> tuple[Session | None, list[object]]:
    outcome = ENGINE.start("bao_cao_nhanh") if session is None else None
    s = outcome.session if outcome else session
    effects: list[object] = list(outcome.effects) if outcome else []
    for inp in inputs:
        if isinstance(inp, str):
            inp = TextInput(inp)
        assert s is not None
        out = ENGINE.step(s, inp, today=date(2026, 11, 21))  # type: ignore[arg-type]
        s = out.session
        effects = list(out.effects)
    return s, effects


def asks(effects: list[object]) -> fx.Ask:
    return next(e for e in effects if isinstance(e, fx.Ask))


def test_ngung_viec_branch_asks_how_many_stopped_work() -> None:
    s, eff = run("ngung viec")
    assert asks(eff).question == "so_nguoi_ngung_viec"
    s, eff = run("120", session=s)
    assert asks(eff).question == "muc_do"
    assert s is not None and s.answers == {"linh_vuc": "ngung_viec", "so_nguoi_ngung_viec": 120}


def test_attvld_branch_asks_injuries_and_deaths() -> None:
    s, eff = run("tai nan lao dong", "3", "co")
    assert s is not None
    assert s.answers["so_nguoi_bi_thuong"] == 3 and s.answers["co_tu_vong"] is True
    assert asks(eff).question == "muc_do"


def test_other_areas_skip_the_branch_questions() -> None:
    s, eff = run("1")
    assert asks(eff).question == "muc_do"
    assert s is not None and s.answers == {"linh_vuc": "tien_luong"}


@pytest.mark.parametrize(
    ("typed", "key"),
    [("no luong", "tien_luong"), ("Nợ lương", "tien_luong"), ("dinh cong", "ngung_viec"),
     ("  KHÁC ", "khac"), ("12", "khac"), ("bhxh", "bhxh"), ("tien_luong", "tien_luong")],
)
def test_choice_by_number_label_alias_and_without_diacritics(typed: str, key: str) -> None:
    s, _ = run(typed)
    assert s is not None and s.answers["linh_vuc"] == key


def full_report() -> Session:
    s, _ = run("1", "2", "30", "Chậm lương tháng 10 cho 30 công nhân", "3", "bỏ qua qua")
    # "bỏ qua qua" is an ordinary answer to the optional de_xuat question.
    assert s is not None
    s, _ = run(CommandInput("done"), session=s)
    assert s is not None and s.step == CONFIRM
    return s


def test_confirm_sends_every_answer() -> None:
    s = full_report()
    _, eff = run("gui", session=s)
    submitted = next(e for e in eff if isinstance(e, fx.Submitted))
    assert submitted.answers == {
        "linh_vuc": "tien_luong", "muc_do": "can_chu_y", "so_nguoi": 30,
        "mo_ta": "Chậm lương tháng 10 cho 30 công nhân", "tinh_trang": "chua",
        "de_xuat": "bỏ qua qua",
    }
    assert fx.Ended("submitted") in eff and fx.CancelFires() in eff


def test_edit_from_card_asks_newly_relevant_questions_and_drops_stale_ones() -> None:
    s = full_report()
    s, eff = run("sửa 1", session=s)
    assert asks(eff).question == "linh_vuc"
    s, eff = run("ngung viec", session=s)
    assert asks(eff).question == "so_nguoi_ngung_viec"
    s, eff = run("40", session=s)
    assert isinstance(eff[0], fx.Confirm)
    assert s is not None and s.answers["so_nguoi_ngung_viec"] == 40
    s, eff = run("2", "1", "tien_luong", session=s)  # edit → pick item 1 → answer by key
    assert s is not None and s.answers["linh_vuc"] == "tien_luong"
    assert "so_nguoi_ngung_viec" not in s.answers


def test_changing_tinh_trang_to_done_drops_de_xuat() -> None:
    s = full_report()
    s, _ = run(CommandInput("edit", "5"), "1", session=s)
    assert s is not None and "de_xuat" not in s.answers and s.step == CONFIRM


def test_back_returns_to_previous_question_and_keeps_earlier_answers() -> None:
    s, _ = run("ngung viec", "120", "khan cap")
    s, eff = run(CommandInput("back"), session=s)
    assert asks(eff).question == "muc_do"
    assert s is not None and s.answers == {"linh_vuc": "ngung_viec", "so_nguoi_ngung_viec": 120}


def test_back_on_first_question_says_so() -> None:
    _, eff = run(CommandInput("back"))
    assert fx.Say(Msg("nav.nothing_to_go_back")) in eff


def test_required_question_cannot_be_skipped() -> None:
    s, eff = run(CommandInput("skip"))
    assert asks(eff).error == Msg("error.required")
    assert s is not None and s.answers == {}


def test_cancel_ends_without_submitting() -> None:
    s, eff = run("1", CommandInput("cancel"))
    assert s is None and fx.Ended("cancelled") in eff
    assert not any(isinstance(e, fx.Submitted) for e in eff)


def test_attachments_collect_several_then_done() -> None:
    s = full_report()
    s, _ = run(CommandInput("back"), session=s)
    s, eff = run(AttachmentInput("photo", "file-1", 2048), session=s)
    assert fx.Say(Msg("attachment.received", count=1)) in eff
    s, _ = run(AttachmentInput("voice", "file-2", 999), CommandInput("done"), session=s)
    assert s is not None and s.step == CONFIRM
    assert [a["ref"] for a in s.answers["dinh_kem"]] == ["file-1", "file-2"]


def test_attachment_kind_not_accepted() -> None:
    s = full_report()
    s, _ = run(CommandInput("back"), session=s)
    s, eff = run(AttachmentInput("location", "21.0,105.8"), session=s)
    assert asks(eff).error == Msg("error.attachment_kind")


def test_stale_button_is_refused_and_changes_nothing() -> None:
    s, _ = run("1")
    assert s is not None
    old = s.version - 1
    s2, eff = run(ChoiceInput("khan_cap", old), session=s)
    assert fx.Say(Msg("button.stale")) in eff
    assert s2 is not None and s2.answers == s.answers and s2.step == s.step


def test_current_button_answers() -> None:
    s, _ = run("1")
    assert s is not None
    s2, _ = run(ChoiceInput("khan_cap", s.version), session=s)
    assert s2 is not None and s2.answers["muc_do"] == "khan_cap"


def test_nudge_once_then_expiry() -> None:
    s, _ = run("1")
    s, eff = run(TimeoutInput("nudge"), session=s)
    assert fx.Say(Msg("draft.nudge")) in eff and s is not None and s.nudged
    s, eff = run(TimeoutInput("nudge"), session=s)
    assert eff == []
    s, eff = run("2", session=s)
    assert not any(isinstance(e, fx.ScheduleFire) and e.kind == "draft.nudge" for e in eff)
    s, eff = run(TimeoutInput("expire"), session=s)
    assert s is None and fx.Ended("expired") in eff


def test_session_round_trips_through_json() -> None:
    import json

    s, _ = run("ngung viec", "120")
    assert s is not None
    again = Session.from_dict(json.loads(json.dumps(s.to_dict())))
    assert again == s


def test_a_location_is_taken_where_a_question_asks_for_one() -> None:
    form = parse_form({
        "id": "vi_tri", "version": 1, "title": "Vị trí",
        "questions": [{"key": "noi_xay_ra", "type": "attachments", "label": "Nơi xảy ra?",
                       "accept": ["location", "photo"], "max_count": 2}],
    }, "vi_tri.yaml", CATALOG.common.yes_no)
    engine = Engine({form.id: form}, CATALOG.common, EngineConfig())
    s = engine.start("vi_tri").session
    assert s is not None
    out = engine.step(s, AttachmentInput("location", "22.500000,104.250000"))
    assert fx.Say(Msg("attachment.received", count=1)) in out.effects
    assert out.session is not None
    out = engine.step(out.session, CommandInput("done"))
    assert out.session is not None and out.session.answers["noi_xay_ra"] == [
        {"kind": "location", "ref": "22.500000,104.250000", "size": 0}]


def test_a_file_over_the_size_limit_is_refused_and_nothing_is_kept() -> None:
    engine = Engine(CATALOG.forms, CATALOG.common, EngineConfig(max_attachment_bytes=1000))
    s = full_report()
    s, _ = run(CommandInput("back"), session=s)
    assert s is not None
    out = engine.step(s, AttachmentInput("photo", "big", 1001))
    assert asks(list(out.effects)).error == Msg("error.attachment_too_big", max_mb="0.000953674")
    assert out.session is not None and "dinh_kem" not in out.session.answers
