"""Golden console transcripts: the exact text a chair sees. Set UPDATE_GOLDEN=1 to rewrite."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import build_app
from bot.channels.console import ConsoleChannel
from bot.clock import ManualClock
from bot.config import Settings
from bot.console_chat import chat
from tests.conftest import START
from tests.helpers import reports, seed

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CODE = "KM7X4QPA"
NGUNG_VIEC_SCRIPT = [
    f"/start {CODE}",
    "bao cao",
    "ngung viec",
    "hai tram",  # not a number: re-asked
    "120",
    "khan cap",  # a strike: the head count is not asked again
    "ngắn",  # too short: re-asked
    "Công nhân ngừng việc tập thể vì bị nợ lương hai tháng",
    "can ho tro",
    "Đề nghị LĐLĐ huyện cử cán bộ xuống đối thoại",
    "xong",
    "gửi",
]
ATTVLD_SCRIPT = [
    "/baocao",
    "tai nan",
    "2",
    "co",
    "4",
    "30",
    "Sập giàn giáo tại xưởng B, hai người bị thương, một người tử vong",
    "dang giai quyet",
    "bỏ qua",
    "sửa 4",
    "nghiem trong",
    "1",
    "/lichsu",
]


class Lines(io.StringIO):
    def isatty(self) -> bool:
        return False


async def run_transcript(
    tmp_path: Path, sqlite_url: str, scripts: list[list[str]]
) -> tuple[str, object]:
    clock = ManualClock(START)
    out = io.StringIO()
    app = build_app(
        Settings(database_url=sqlite_url, _env_file=None),  # type: ignore[call-arg]
        clock=clock,
        channels=[ConsoleChannel(out, me="chu_tich")],
    )
    await seed(app)
    async with app.uows() as uow:
        unit = await uow.units.by_code("DEMO_CS5")
        assert unit is not None
        expires = START + timedelta(days=7)
        await uow.invites.create(CODE, unit.id, "chair", 1, expires, "test", START)
        await uow.commit()
    for script in scripts:
        await chat(app, "chu_tich", Lines("\n".join(script) + "\n"), out)
    stored = await reports(app)
    await app.close()
    return out.getvalue(), stored


def check_golden(name: str, actual: str, folder: Path = GOLDEN) -> None:
    path = folder / name
    if os.environ.get("UPDATE_GOLDEN") == "1" or not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"golden file {name} is missing in CI")
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


async def test_chair_redeems_invite_and_files_two_reports(tmp_path: Path, sqlite_url: str) -> None:
    transcript, stored = await run_transcript(
        tmp_path, sqlite_url, [NGUNG_VIEC_SCRIPT, ATTVLD_SCRIPT]
    )
    check_golden("rapid_reports.txt", transcript)
    first, second = stored  # type: ignore[misc]
    assert first.ref == "BC-2026-000001" and second.ref == "BC-2026-000002"
    assert first.answers == {
        "linh_vuc": "ngung_viec", "so_nguoi_ngung_viec": 120, "muc_do": "khan_cap",
        "mo_ta": "Công nhân ngừng việc tập thể vì bị nợ lương hai tháng",
        "tinh_trang": "can_ho_tro", "de_xuat": "Đề nghị LĐLĐ huyện cử cán bộ xuống đối thoại",
    }
    assert second.answers == {
        "linh_vuc": "attvld", "so_nguoi_bi_thuong": 2, "co_tu_vong": True,
        "muc_do": "nghiem_trong", "so_nguoi": 30,
        "mo_ta": "Sập giàn giáo tại xưởng B, hai người bị thương, một người tử vong",
        "tinh_trang": "dang_xu_ly",
    }
    assert "BC-2026-000001" in transcript and "BC-2026-000002" in transcript
