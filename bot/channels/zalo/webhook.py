"""A Zalo bot's webhook route on the project's aiohttp server.

Zalo sends the secret given to setWebhook in X-Bot-Api-Secret-Token (Zalo Bot API docs, as
relied on by openclaw's Zalo channel: docs/channels/zalo.md and extensions/zalo/src in
github.com/openclaw/openclaw); a request without it is answered 403 and read no further
(compared in constant time). The update is stored in the inbox (the database) before the
answer: 200 once it is kept, 500 when the database cannot take it (nothing was kept; a sender
that retries delivers it again). A body that is not JSON, or JSON nested deeper than any
update, is answered 400. Repeats are dropped by message id.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.channels.zalo.inbox import ZaloInbox
from bot.http_server import has_secret, read_json

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"


class ZaloWebhook:
    def __init__(self, inbox: ZaloInbox, secret: str) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret")
        self.inbox = inbox
        self._secret = secret.encode()

    async def handle(self, request: web.Request) -> web.Response:
        if not has_secret(request, SECRET_HEADER, self._secret):
            return web.json_response({"ok": False}, status=403)
        body = await read_json(request)
        if body is None:
            log.warning("zalo %s webhook: a body that is not JSON was refused",
                        self.inbox.channel)
            return web.json_response({"ok": False}, status=400)
        try:
            await self.inbox.receive(body)
        except Exception as exc:
            log.error("zalo %s webhook: update not stored (%s)", self.inbox.channel,
                      type(exc).__name__)
            return web.json_response({"ok": False}, status=500)
        return web.json_response({"ok": True})
