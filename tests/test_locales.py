"""Every message key used in code has a Vietnamese (and English) text, with the same
placeholders; and no Vietnamese text hides in code as a literal."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from bot.i18n import Translator

ROOT = Path(__file__).resolve().parents[1]
CODE_DIRS = ("bot", "handlers", "storage", "scheduler")
KEY = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


def code_files() -> list[Path]:
    return [p for d in CODE_DIRS for p in (ROOT / d).rglob("*.py") if "migrations" not in p.parts]


def _strings(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def used_keys() -> tuple[set[str], set[str]]:
    """(exact keys, prefixes of f-string keys) passed to Msg(...) or translator.text(_, ...)."""
    keys: set[str] = set()
    prefixes: set[str] = set()
    for path in code_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            arg: ast.expr | None = None
            if isinstance(func, ast.Name) and func.id == "Msg" and node.args:
                arg = node.args[0]
            elif isinstance(func, ast.Attribute) and func.attr == "text" and len(node.args) >= 2:
                arg = node.args[1]
            if arg is None:
                continue
            if isinstance(arg, ast.JoinedStr) and isinstance(arg.values[0], ast.Constant):
                prefixes.add(str(arg.values[0].value))
            keys.update(s for s in _strings(arg) if KEY.match(s))
    return keys, prefixes


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_used_message_has_a_vietnamese_translation() -> None:
    vi = Translator.load().messages("vi")
    keys, prefixes = used_keys()
    assert len(keys) > 60
    missing = sorted(k for k in keys if not vi.get(k))
    assert missing == []
    for prefix in prefixes:
        assert any(k.startswith(prefix) for k in vi), f"no message starts with {prefix}"


def test_catalogs_match_and_keep_placeholders() -> None:
    tr = Translator.load()
    vi, en = tr.messages("vi"), tr.messages("en")
    assert set(vi) == set(en)
    for key in vi:
        assert fields(vi[key]) == fields(en[key]), key


def test_the_check_fails_for_a_missing_translation(tmp_path: Path) -> None:
    for lang in ("vi", "en"):
        folder = tmp_path / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        folder.joinpath("tinhhinh.po").write_text(
            'msgid "report.submitted"\nmsgstr ""\n', encoding="utf-8"
        )
    assert "report.submitted" not in Translator.load(tmp_path).messages("vi")


def test_no_vietnamese_literals_in_code() -> None:
    vietnamese = re.compile(
        r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.IGNORECASE
    )
    offenders = []
    # text.py folds "đ" to "d" for matching: a character table, not a message.
    for path in [p for p in code_files() if p.name != "text.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and n.body and isinstance(n.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docstrings and vietnamese.search(node.value)):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


# Members (đoàn viên) on the directives' and surveys' pages are "bạn"; chairs and officials
# are "đồng chí" everywhere (DOMAIN.md, "Wording for people").
MEMBER_KEYS = {"web.member_thanks", "web.member_already", "survey.ended", "survey.thanks",
               "survey.already"}


def test_chairs_and_officials_are_addressed_one_way() -> None:
    messages = Translator.load(default="vi").messages("vi")
    says_ban = sorted(k for k, text in messages.items()
                      if re.search(r"\b[Bb]ạn\b", text) and k not in MEMBER_KEYS)
    assert says_ban == []
    assert all(re.search(r"\b[Bb]ạn\b", messages[k]) for k in MEMBER_KEYS)
    assert sum("đồng chí" in t.lower() for t in messages.values()) >= 30


def test_what_is_not_understood_is_said_first() -> None:
    messages = Translator.load(default="vi").messages("vi")
    for key in ("command.unknown", "idle.hint", "error.confirm_choice", "error.pick_edit"):
        assert messages[key].startswith("Bot chưa hiểu"), key
