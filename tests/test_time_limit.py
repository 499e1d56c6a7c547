"""9. The suite cannot hang: every test has a time limit (pyproject: timeout), and a test
that hangs fails with the stack of where it is stuck, then the run goes on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_hanging_test_fails_with_its_stack_and_the_next_test_runs(tmp_path: Path) -> None:
    case = tmp_path / "test_hangs.py"
    case.write_text(
        "import asyncio\n\n\n"
        "async def wait_for_a_reply_that_never_comes():\n"
        "    await asyncio.Event().wait()\n\n\n"
        "async def test_stuck():\n"
        "    await wait_for_a_reply_that_never_comes()\n\n\n"
        "def test_after():\n"
        "    assert True\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--timeout=2",
         "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path), str(case)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "Timeout (>2.0s) from pytest-timeout" in out
    assert "wait_for_a_reply_that_never_comes" in out  # where it was stuck
    assert "1 failed, 1 passed" in out
