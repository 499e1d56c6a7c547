"""A migrated SQLite database for the command-line tests, made by the command itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli import tinhhinh


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    assert tinhhinh(path, "db", "upgrade").returncode == 0
    return path
