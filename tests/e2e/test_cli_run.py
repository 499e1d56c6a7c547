"""`tinhhinh run` with a Telegram token: the real command, polling the peer, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.e2e.peer import Peer, TgUser

BIN = Path(sys.executable).parent
GUEST = TgUser(5401, "Khách")


async def test_the_service_runs_telegram_from_the_command_line(tmp_path: Path, peer: Peer) -> None:
    env = {**os.environ,
           "TINHHINH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
           "TINHHINH_TELEGRAM__TOKEN": peer.token,
           "TINHHINH_TELEGRAM__API_BASE": peer.api_base,
           "TINHHINH_TELEGRAM__POLL_TIMEOUT": "1",
           "TINHHINH_HTTP__PORT": "0"}
    upgrade = await asyncio.create_subprocess_exec(
        str(BIN / "tinhhinh"), "db", "upgrade", env=env, cwd=tmp_path)
    assert await upgrade.wait() == 0
    service = await asyncio.create_subprocess_exec(
        str(BIN / "tinhhinh"), "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await peer.text(GUEST, "/start")
        messages = await peer.wait_chat(GUEST.id, lambda ms: bool(ms), within=60)
        assert "mã mời" in messages[0]["text"]  # a guest is asked for an invite code
        menus = await peer.commands()
        assert "default|" in menus and "default|en" in menus
    finally:
        service.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(service.communicate(), 30)
    stderr = err.decode()
    assert service.returncode == 0, stderr
    assert "tinhhinh đang chạy: telegram" in stderr
    assert peer.token.split(":", 1)[1] not in stderr
