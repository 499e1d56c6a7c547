"""The layer rules of DESIGN.md, read from the source: use cases name no channel and touch
no ORM library, and the delivery layer depends on no use case."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHANNEL_NAMES = re.compile(r"telegram|zalo|console", re.IGNORECASE)
# bot/ modules that wire use cases to channels and may import handlers/ (later: web/).
WIRING = {"bot/app.py", "bot/cli.py", "bot/service.py"}
# The web pages call use cases as the channels' inbound path does (DESIGN.md, Folders).
WIRING_FOLDERS = ("bot/web/",)


def modules(folder: str) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted((ROOT / folder).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        yield rel, ast.parse(path.read_text(encoding="utf-8"), rel)


def imported(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module


def docstrings(tree: ast.Module) -> set[int]:
    """The ids of the docstring constants (a docstring may explain a channel's limits)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def channel_names(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every string literal and identifier that names a channel, docstrings aside."""
    skip = docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
        elif isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            text = node.name
        else:
            continue
        if CHANNEL_NAMES.search(text):
            yield getattr(node, "lineno", 0), text


def test_no_use_case_names_a_channel() -> None:
    """Use cases ask an adapter's capabilities ("can this person receive a file?"); channel
    names live in configuration (bot/config.py) and help texts (locales/)."""
    found = [f"{rel}:{line}: {text!r}" for rel, tree in modules("handlers")
             for line, text in channel_names(tree)]
    assert found == []


def test_nothing_under_bot_but_the_wiring_imports_handlers() -> None:
    found = [f"{rel}:{line}: {name}" for rel, tree in modules("bot")
             if rel not in WIRING and not rel.startswith(WIRING_FOLDERS)
             for line, name in imported(tree) if name.split(".")[0] == "handlers"]
    assert found == []


def test_use_cases_and_the_scheduler_import_no_sqlalchemy() -> None:
    """They reach the database through storage's repositories and unit of work only."""
    found = [f"{rel}:{line}: {name}" for folder in ("handlers", "scheduler")
             for rel, tree in modules(folder)
             for line, name in imported(tree) if name.split(".")[0] == "sqlalchemy"]
    assert found == []


def test_the_checks_see_what_they_look_for() -> None:
    """The scanners find a channel name, a handlers import and a docstring exemption."""
    tree = ast.parse('"""Zalo has no buttons."""\nimport handlers.x\nFILES = ("telegram",)\n'
                     'def on_zalo(): pass\n')
    assert sorted(t for _, t in channel_names(tree)) == ["on_zalo", "telegram"]
    assert [n for _, n in imported(tree)] == ["handlers.x"]
