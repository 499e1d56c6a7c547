"""Commands work with or without the slash and the diacritics, in Vietnamese and English."""

from __future__ import annotations

import pytest

from bot.forms import load_catalog

WORDS = load_catalog().commands


@pytest.mark.parametrize(
    ("typed", "name", "arg"),
    [
        ("/start ABCD2345", "start", "ABCD2345"), ("/baocao", "report", None),
        ("baocao", "report", None), ("Báo cáo", "report", None), ("bao cao", "report", None),
        ("/report", "report", None), ("/lichsu", "history", None), ("lịch sử", "history", None),
        ("/history", "history", None), ("/huy", "cancel", None), ("Huỷ", "cancel", None),
        ("hủy", "cancel", None), ("/cancel", "cancel", None), ("/trogiup", "help", None),
        ("tro giup", "help", None), ("/help", "help", None), ("/ngonngu en", "language", "en"),
        ("/lang", "language", None), ("/baocao@tinhhinh_bot", "report", None),
    ],
)
def test_command_words(typed: str, name: str, arg: str | None) -> None:
    parsed = WORDS.parse(typed)
    assert parsed is not None and (parsed.name, parsed.arg) == (name, arg)


@pytest.mark.parametrize("typed", ["Công nhân báo cáo nợ lương", "7", "", "/khongco", "xin chao"])
def test_ordinary_text_is_not_a_command(typed: str) -> None:
    assert WORDS.parse(typed) is None
