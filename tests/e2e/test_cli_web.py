"""`make run` with no messenger: the console demo serves the web pages on loopback, its
`/web` gives a link that opens there, and `tinhhinh chat --as` beside it links to the same
server."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.test_zalo import free_port

BIN = Path(sys.executable).parent
LINK = re.compile(rb"http://127\.0\.0\.1:\d+/web/login/[A-Za-z0-9_-]+")


async def read_link(stream: asyncio.StreamReader) -> str:
    seen = b""
    async with asyncio.timeout(60):
        while (found := LINK.search(seen)) is None:
            chunk = await stream.read(4096)
            assert chunk, seen.decode()
            seen += chunk
    return found.group(0).decode()


async def opens(link: str) -> bool:
    async with aiohttp.ClientSession() as http, http.get(link) as r:
        return r.status == 200 and 'id="sign-in"' in await r.text()


@pytest.mark.timeout(120)
async def test_the_console_demo_serves_the_web_pages(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TINHHINH_")}
    env |= {"TINHHINH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            "TINHHINH_HTTP__PORT": str(port)}
    upgrade = await asyncio.create_subprocess_exec(
        str(BIN / "tinhhinh"), "db", "upgrade", env=env, cwd=tmp_path)
    assert await upgrade.wait() == 0
    service = await asyncio.create_subprocess_exec(
        str(BIN / "tinhhinh"), "run", env=env, cwd=tmp_path, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert service.stdin is not None and service.stdout is not None
    try:
        service.stdin.write(b"web\n")
        await service.stdin.drain()
        link = await read_link(service.stdout)
        assert f":{port}/" in link and await opens(link)
        # A second terminal chatting as the demo chair gets links to the same server.
        chat = await asyncio.create_subprocess_exec(
            str(BIN / "tinhhinh"), "chat", "--as", "demo", env=env, cwd=tmp_path,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        out, _ = await asyncio.wait_for(chat.communicate(b"/web\n"), 60)
        found = LINK.search(out)
        assert found is not None, out.decode()
        assert await opens(found.group(0).decode())
    finally:
        service.stdin.close()
        _, err = await asyncio.wait_for(service.communicate(), 30)
    assert service.returncode == 0, err.decode()
