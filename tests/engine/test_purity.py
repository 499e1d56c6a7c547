"""bot/engine imports no I/O library (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

BANNED = {"aiogram", "aiohttp", "httpx", "sqlalchemy", "apscheduler", "asyncpg", "aiosqlite",
          "requests", "socket", "asyncio", "storage", "handlers", "scheduler"}
ENGINE = Path(__file__).resolve().parents[2] / "bot" / "engine"


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_engine_imports_no_io_library() -> None:
    files = sorted(ENGINE.glob("*.py"))
    assert len(files) >= 8
    offenders = {f.name: imported_roots(f) & BANNED for f in files if imported_roots(f) & BANNED}
    assert offenders == {}


def test_checker_catches_a_banned_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from sqlalchemy import select\nimport httpx\n", encoding="utf-8")
    assert imported_roots(bad) & BANNED == {"sqlalchemy", "httpx"}
