"""Form definitions are validated at start-up with errors naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.conditions import parse_condition
from bot.engine.form import FormError
from bot.forms import FORMS_DIR, load_catalog


def test_shipped_rapid_report_matches_domain() -> None:
    form = load_catalog().forms["bao_cao_nhanh"]
    assert [q.key for q in form.questions] == [
        "linh_vuc", "so_nguoi_ngung_viec", "so_nguoi_bi_thuong", "co_tu_vong", "muc_do",
        "so_nguoi", "mo_ta", "tinh_trang", "de_xuat", "dinh_kem",
    ]
    assert [c.key for c in form.question("linh_vuc").choices] == [
        "tien_luong", "thuong", "thoi_gio", "attvld", "bhxh", "viec_lam", "ngung_viec",
        "khieu_nai", "tu_tuong", "doi_song", "an_ninh", "khac",
    ]
    mo_ta = form.question("mo_ta")
    assert (mo_ta.min_length, mo_ta.max_length) == (10, 1500)
    assert form.question("so_nguoi_ngung_viec").min == 1
    assert not form.question("de_xuat").required and not form.question("dinh_kem").required
    assert form.index == {"category": "linh_vuc", "severity": "muc_do"}


def test_every_form_ships_its_mermaid_diagram() -> None:
    for form_id in load_catalog().forms:
        doc = (FORMS_DIR / f"{form_id}.md").read_text(encoding="utf-8")
        assert "```mermaid" in doc


def _copy_forms(tmp_path: Path) -> Path:
    for f in FORMS_DIR.iterdir():
        if f.suffix in (".yaml", ".md"):
            (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("    min: 1\n    max: 100000\n", "    min: 100\n    max: 1\n", "questions[1].min"),
        ("relevant: {linh_vuc: ngung_viec}", "relevant: {chua_co: x}", "questions[1].relevant"),
        ("  - key: mo_ta\n    type: text", "  - key: mo_ta\n    type: essay", "questions[6].type"),
        ("label: {vi: \"Mức độ?\", en: \"How serious?\"}", "label: {en: \"How serious?\"}",
         "questions[4].label"),
    ],
)
def test_broken_form_names_file_and_field(tmp_path: Path, old: str, new: str, where: str) -> None:
    folder = _copy_forms(tmp_path)
    path = folder / "bao_cao_nhanh.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(FormError) as info:
        load_catalog(folder)
    assert str(info.value).startswith(f"bao_cao_nhanh.yaml: {where}:")


def test_conditions_grammar() -> None:
    rule = parse_condition(
        {"all": [{"linh_vuc": "attvld"},
                 {"any": [{"co_tu_vong": True}, {"so_nguoi_bi_thuong": {"gte": 2}}]}]}
    )
    assert rule.holds({"linh_vuc": "attvld", "co_tu_vong": False, "so_nguoi_bi_thuong": 2})
    assert not rule.holds({"linh_vuc": "attvld", "co_tu_vong": False, "so_nguoi_bi_thuong": 1})
    assert parse_condition({"tinh_trang": ["chua", "can_ho_tro"]}).holds({"tinh_trang": "chua"})
    assert not parse_condition({"so_nguoi": {"gte": 50}}).holds({})
