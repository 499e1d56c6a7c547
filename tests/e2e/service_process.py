"""`tinhhinh run` as a real process for the crash tests: started, read until it says it is
ready, then killed (-9) or stopped (SIGTERM) by the test."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


async def start_service(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    service = await asyncio.create_subprocess_exec(
        str(BIN / "tinhhinh"), "run", env=env, cwd=cwd, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    assert service.stderr is not None
    while True:  # ready when it says so
        line = await asyncio.wait_for(service.stderr.readline(), 60)
        assert line, "the service ended before it was ready"
        if "đang chạy" in line.decode():
            break
    # Its log keeps coming: read it, or a full pipe would stall the service.
    asyncio.get_running_loop().create_task(_drain(service))
    return service


async def _drain(service: asyncio.subprocess.Process) -> None:
    assert service.stderr is not None
    while await service.stderr.readline():
        pass
