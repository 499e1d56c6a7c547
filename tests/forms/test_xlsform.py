"""Forms authored in Excel (XLSForm): the shipped annual survey reads into a form the engine
runs (a 1–5 scale, notes, groups, skip logic and bounds translated); a broken file is refused
with its sheet, row and reason."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from bot.engine.conversation import Engine, EngineConfig
from bot.engine.form import Form, parse_form
from bot.engine.inputs import ChoiceInput, CommandInput, TextInput
from bot.forms import load_catalog
from bot.forms.xlsform import XlsFormError, read_xlsform
from bot.i18n import Translator

SHIPPED = Path(__file__).parents[2] / "bot" / "forms" / "surveys" / "khao_sat_doan_vien.xlsx"
CATALOG = load_catalog()
TR = Translator.load(default="vi")


def survey(data: bytes | None = None) -> Form:
    raw = read_xlsform(data or SHIPPED.read_bytes(), "khao_sat_doan_vien.xlsx")
    return parse_form(raw, "khao_sat_doan_vien.xlsx", CATALOG.common.yes_no)


def edited(change: Callable[[Workbook], None]) -> bytes:
    book = load_workbook(io.BytesIO(SHIPPED.read_bytes()))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_shipped_survey_reads_into_a_form_the_engine_runs() -> None:
    form = survey()
    assert (form.id, form.version) == ("khao_sat_doan_vien", 1)
    assert form.title == {"vi": "Khảo sát đoàn viên, người lao động",
                          "en": "Survey of members and workers"}
    assert [(q.key, q.type, q.required) for q in form.questions] == [
        ("doi_song", "choice", True), ("viec_lam", "choice", True),
        ("thu_nhap", "choice", True), ("hai_long", "scale", True),
        ("van_de", "multi_choice", True), ("van_de_khac", "text", True),
        ("tam_tu", "text", False), ("kien_nghi", "text", False)]
    first = form.questions[0]
    # The note and the group's title are read with the first question.
    assert first.help["vi"].startswith("Phiếu khảo sát ẩn danh") and \
        first.help["vi"].endswith("Đời sống và việc làm")
    assert [c.key for c in form.question("hai_long").choices] == ["1", "2", "3", "4", "5"]
    other = form.question("van_de_khac")
    assert other.relevant is not None and other.max_length == 300
    assert other.relevant.holds({"van_de": ["nha_o", "khac"]})
    assert not other.relevant.holds({"van_de": ["nha_o"]})
    engine = Engine({form.id: form}, CATALOG.common, EngineConfig())
    outcome = engine.start(form.id)
    for given in ("cai thien", "2", "duoi 5", "4"):
        assert outcome.session is not None
        outcome = engine.step(outcome.session, TextInput(given))
    assert outcome.session is not None
    for key in ("nha_o", "khac"):
        outcome = engine.step(outcome.session, ChoiceInput(key, outcome.session.version))
        assert outcome.session is not None
    outcome = engine.step(outcome.session, CommandInput("done"))
    assert outcome.session is not None
    outcome = engine.step(outcome.session, TextInput("Giá thuê trọ tăng"))
    assert outcome.session is not None
    assert outcome.session.answers == {
        "doi_song": "cai_thien", "viec_lam": "thieu_mot_phan", "thu_nhap": "duoi_5",
        "hai_long": 4, "van_de": ["nha_o", "khac"], "van_de_khac": "Giá thuê trọ tăng"}


def _row(book: Workbook, name: str) -> Any:
    ws = book["survey"]
    return next(r for r in ws.iter_rows(min_row=2) if r[1].value == name)


@pytest.mark.parametrize(("change", "row", "reason"), [
    (lambda b: setattr(_row(b, "viec_lam")[0], "value", "geopoint"), 5,
     "loại câu hỏi «geopoint» bot không hỏi được (được dùng: select_one, select_multiple, "
     "integer, decimal, text, date, range, note, begin_group/end_group)."),
    (lambda b: setattr(_row(b, "van_de_khac")[5], "value", "${van_de} ~ 'khac'"), 10,
     "relevant «${van_de} ~ 'khac'»: không đọc được từ «~ 'khac'»."),
    (lambda b: setattr(_row(b, "tam_tu")[5], "value", "${kien_nghi} = 'x'"), 11,
     "relevant «${kien_nghi} = 'x'»: «kien_nghi» không phải câu hỏi đứng trước."),
    (lambda b: setattr(_row(b, "kien_nghi")[1], "value", "tam_tu"), 12,
     "tên câu hỏi «tam_tu» bị trùng."),
    (lambda b: setattr(_row(b, "thu_nhap")[2], "value", None), 6,
     "thiếu nhãn tiếng Việt (cột label::Vietnamese (vi))."),
    (lambda b: setattr(_row(b, "tam_tu")[6], "value", "regex(., '[0-9]+')"), 11,
     "constraint «regex(., '[0-9]+')»: chỉ nhận giới hạn dạng «. >= 0 and . <= 100» hoặc "
     "«string-length(.) <= 500»."),
    (lambda b: setattr(_row(b, "hai_long")[9], "value", "start=1 end=50 step=1"), 8,
     "thang điểm (range) đi từ start đến end, 2 đến 11 mức (parameters: start=1 end=5 "
     "step=1)."),
    (lambda b: setattr(_row(b, "viec_lam")[0], "value", "select_one khong_co"), 5,
     "không có danh sách lựa chọn «khong_co» ở trang choices."),
])
def test_a_broken_survey_is_refused_with_sheet_row_and_reason(
        change: Callable[[Workbook], None], row: int, reason: str) -> None:
    with pytest.raises(XlsFormError) as refused:
        survey(edited(change))
    assert (refused.value.sheet, refused.value.row) == ("survey", row)
    assert TR.render("vi", refused.value.reason) == reason
    assert TR.render("vi", refused.value.message) == \
        f"khao_sat_doan_vien.xlsx: trang survey, dòng {row}: {reason}"


def test_choices_and_settings_are_checked_and_bounds_translated() -> None:
    def bad_choice(book: Workbook) -> None:
        book["choices"]["B3"].value = "Như cũ"

    with pytest.raises(XlsFormError) as refused:
        survey(edited(bad_choice))
    assert TR.render("vi", refused.value.message) == (
        "khao_sat_doan_vien.xlsx: trang choices, dòng 3: tên lựa chọn «Như cũ» phải là mã "
        "chữ thường không dấu (a-z, 0-9, _).")

    def no_settings(book: Workbook) -> None:
        del book["settings"]

    with pytest.raises(XlsFormError) as refused:
        survey(edited(no_settings))
    assert refused.value.sheet == "settings" and refused.value.row is None
    with pytest.raises(XlsFormError) as refused:
        survey(b"not a spreadsheet")
    assert TR.render("en", refused.value.reason) == "not an Excel .xlsx file."

    def numbers(book: Workbook) -> None:
        row = _row(book, "tam_tu")
        row[0].value, row[6].value = "integer", ". >= 0 and . < 100"

    form = survey(edited(numbers))
    counted = form.question("tam_tu")
    assert (counted.type, counted.min, counted.max) == ("integer", 0, 99)
