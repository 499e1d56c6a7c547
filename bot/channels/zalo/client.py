"""A thin async client for the Zalo Bot API.

Our own, not a PyPI package: those reviewed were unfit to depend on (python-zalo-bot calls
asyncio.run inside its webhook helpers and returns None on ``ok: false``; zalobot-python needs
Python 3.14; the others are synchronous or unofficial). The API is small: POST JSON to
``<base>/bot<token>/<method>``, an envelope ``{ok, result, error_code, description}`` back.

The token sits in the URL path, so nothing here puts a URL into an exception or a log line;
``bot.logredact`` masks it anyway in every record, including aiohttp's own.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

# sendMessage takes 1-2,000 characters.
MAX_TEXT = 2000


class ZaloApiError(Exception):
    """``ok: false`` from the API, or an HTTP error without an envelope."""

    def __init__(self, method: str, code: int, description: str) -> None:
        super().__init__(f"{method}: {code} {description}"[:300])
        self.method = method
        self.code = code
        self.description = description

    @property
    def quota_exceeded(self) -> bool:
        return self.code == 429

    @property
    def empty_poll(self) -> bool:
        """A long poll that ended with nothing to deliver."""
        return self.code == 408


class ZaloNetworkError(Exception):
    """The API could not be reached (or answered something that is not JSON)."""


@dataclass(frozen=True)
class Download:
    path: Path
    size: int
    mime: str
    too_big: bool = False


class ZaloClient:
    def __init__(self, token: str, api_base: str, *, timeout: float = 30.0) -> None:
        self._url = f"{api_base.rstrip('/')}/bot{token}/"
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        # Made on first use: a ClientSession belongs to the running event loop.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
            )
        return self._session

    async def call(self, method: str, payload: dict[str, Any] | None = None, *,
                   wait_seconds: float | None = None) -> Any:
        wait = aiohttp.ClientTimeout(total=wait_seconds or self._timeout)
        try:
            async with self._http().post(self._url + method, json=payload or {},
                                         timeout=wait) as resp:
                status = resp.status
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            # The exception's text may hold the URL: keep only its kind.
            raise ZaloNetworkError(f"{method}: {type(exc).__name__}") from None
        if not isinstance(body, dict):
            if status == 408:
                raise ZaloApiError(method, 408, "Request timeout")
            raise ZaloNetworkError(f"{method}: HTTP {status} without a JSON envelope")
        if not body.get("ok"):
            code = body.get("error_code") or (status if status >= 400 else 0)
            raise ZaloApiError(method, int(code), str(body.get("description") or ""))
        return body.get("result")

    # -- methods ------------------------------------------------------------------------
    async def get_me(self) -> dict[str, Any]:
        result = await self.call("getMe")
        return result if isinstance(result, dict) else {}

    async def get_updates(self, poll_seconds: int) -> Any | None:
        """One long poll: the update (one per call, no offset), or None when it ended empty."""
        try:
            return await self.call("getUpdates", {"timeout": str(poll_seconds)},
                                   wait_seconds=poll_seconds + 15)
        except ZaloApiError as exc:
            if exc.empty_poll:
                return None
            raise

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.call("setWebhook", {"url": url, "secret_token": secret})

    async def delete_webhook(self) -> None:
        await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict[str, Any]:
        result = await self.call("getWebhookInfo")
        return result if isinstance(result, dict) else {}

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        result = await self.call("sendMessage", {"chat_id": chat_id, "text": text})
        return result if isinstance(result, dict) else {}

    async def send_photo(self, chat_id: str, photo_url: str, caption: str = "") -> None:
        payload = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            payload["caption"] = caption
        await self.call("sendPhoto", payload)

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action})

    # -- media --------------------------------------------------------------------------
    async def download(self, url: str, directory: Path, stem: str, max_bytes: int) -> Download:
        """Fetch a photo a user sent (its URL expires) into ``directory``, reading at most
        ``max_bytes`` + 1 bytes: a larger photo is reported too big and not kept."""
        chunks: list[bytes] = []
        size = 0
        try:
            async with self._http().get(url, timeout=aiohttp.ClientTimeout(total=60)) as resp:
                if resp.status != 200:
                    raise ZaloNetworkError(f"photo download: HTTP {resp.status}")
                mime = resp.content_type or "image/jpeg"
                if (resp.content_length or 0) > max_bytes:
                    return Download(directory, resp.content_length or 0, mime, too_big=True)
                async for chunk in resp.content.iter_chunked(64 * 1024):
                    size += len(chunk)
                    if size > max_bytes:
                        return Download(directory, size, mime, too_big=True)
                    chunks.append(chunk)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise ZaloNetworkError(f"photo download: {type(exc).__name__}") from None
        final = directory / f"{stem}{_SUFFIX.get(mime, '.jpg')}"
        await asyncio.to_thread(_write, final, b"".join(chunks))
        return Download(final, size, mime)

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def _write(path: Path, data: bytes) -> None:
    """Write whole or not at all: a half-written photo must never be a stored answer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    part.write_bytes(data)
    os.replace(part, path)


_SUFFIX = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif"}
