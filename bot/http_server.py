"""The project's one aiohttp server: messenger webhooks and a health endpoint."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# The service's state for /healthz: an HTTP status and a JSON body (bot.app.App.health).
Health = Callable[[], Awaitable[tuple[int, dict[str, Any]]]]


def has_secret(request: web.Request, header: str, secret: bytes) -> bool:
    """A messenger's webhook secret header, compared in constant time."""
    return hmac.compare_digest(request.headers.get(header, "").encode(), secret)


async def read_json(request: web.Request) -> Any | None:
    """The request's JSON body, or None for one that is not JSON. JSON nested too deep for
    the parser (thousands of levels: no messenger sends that) is None too, not a crash."""
    try:
        raw = await request.read()
        return json.loads(raw) if raw else None
    except (ValueError, RecursionError):
        return None


class HttpServer:
    def __init__(self, host: str, port: int, max_body: int = 2 * 1024 * 1024) -> None:
        self.host = host
        self.port = port
        # Webhook bodies are small; the web pages' uploads set the bound (a photo's limit).
        self.app = web.Application(client_max_size=max_body)
        self.app.router.add_get("/healthz", self._health)
        self._runner: web.AppRunner | None = None
        self.health: Health | None = None

    def add_post(self, path: str, handler: Handler) -> None:
        self.app.router.add_post(path, handler)

    async def start(self) -> int:
        """Listen; returns the port (useful when configured as 0)."""
        # No access log: webhook paths are not secret, but the log would grow with every update.
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])
        log.info("http server on %s:%s", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _health(self, request: web.Request) -> web.Response:
        if self.health is None:
            return web.json_response({"ok": True})
        status, body = await self.health()
        return web.json_response(body, status=status)
