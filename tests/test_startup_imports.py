"""Start-up loads nothing the first minute does not need: Excel (openpyxl, and numpy which it
pulls in) and charts (matplotlib) are imported on the first export or digest, Alembic only by
`tinhhinh db upgrade` (the start-up check reads the recorded revision itself)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("openpyxl", "matplotlib", "numpy", "alembic")

PROBE = """
import json, sys
from bot.app import build_app
from bot.config import Settings
import asyncio, bot.cli, bot.service
from storage.migrate import is_up_to_date
app = build_app(Settings(database_url=sys.argv[1], _env_file=None))
asyncio.run(is_up_to_date(app.db))  # the check `tinhhinh run` makes before it starts
print(json.dumps([m for m in {heavy!r} if m in sys.modules]))
"""


def test_starting_the_service_imports_neither_excel_nor_charts(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), url],
                          capture_output=True, text=True, timeout=60, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_an_export_still_finds_openpyxl_when_it_needs_it() -> None:
    from handlers.exports import workbook

    assert "openpyxl" not in vars(workbook)  # imported in the functions that write
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("x")
    cell = workbook.text_cell(sheet, "=1+1")
    assert cell.data_type == "s" and cell.value == "=1+1"
