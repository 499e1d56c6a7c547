"""The Zalo bot token sits in every API URL path; it must never reach a log line."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.app import build_app
from bot.clock import SystemClock
from bot.config import Settings
from bot.service import serve
from tests.e2e.zalo_peer import ZaloPeer

# Not shaped like a Telegram token, so only the configured-secret redaction can catch it.
TOKEN = "zbot-Q7xK2mVp9LrT4sWn8YcB"


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    """Everything logged at DEBUG by every logger, aiohttp's own included."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


async def test_the_zalo_token_never_appears_in_logs(
    db_url: str, tmp_path: Path, log_text: io.StringIO
) -> None:
    peer = await ZaloPeer(max_poll=0.2).start()
    # The peer does not know this token: every call is refused (401), over and over.
    settings = Settings(database_url=db_url, media_dir=tmp_path,
                        zalo={"token": TOKEN, "api_base": peer.base, "poll_timeout": 1},
                        http={"host": "127.0.0.1", "port": 0},
                        _env_file=None)  # type: ignore[call-arg]
    app = build_app(settings, clock=SystemClock())
    stop = asyncio.Event()
    try:
        task = asyncio.create_task(serve(app, stop))
        await asyncio.sleep(1.5)
        # A library error that carries the whole URL, logged with its traceback.
        url = f"{peer.base}/bot{TOKEN}/sendMessage"
        try:
            raise aiohttp.InvalidURL(url)
        except aiohttp.InvalidURL:
            logging.getLogger("aiohttp.client").exception("request to %s failed", url)
        stop.set()
        await asyncio.wait_for(task, 10)
    finally:
        await app.close()
        await peer.stop()
    text = log_text.getvalue()
    assert "zalo polling: deleteWebhook: 401 Unauthorized" in text  # it did log
    assert "/bot<redacted>/sendMessage" in text
    assert TOKEN not in text
    assert TOKEN[5:] not in text  # nor the secret part alone
