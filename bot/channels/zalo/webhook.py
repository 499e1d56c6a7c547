"""A Zalo bot's webhook route on the project's aiohttp server.

Zalo sends the secret given to setWebhook in X-Bot-Api-Secret-Token; a request without it is
answered 403 and read no further (compared in constant time). Zalo wants a quick 200: the
update is queued in the inbox, which applies it (and retries it while the database is
unreachable), and the answer goes out at once. Repeats are dropped by message id.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.channels.zalo.inbox import ZaloInbox
from bot.http_server import has_secret

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
        try:
            body = await request.json()
        except ValueError:
            log.warning("zalo %s webhook: a body that is not JSON was dropped",
                        self.inbox.channel)
            return web.json_response({"ok": False}, status=200)
        self.inbox.accept(body)
        return web.json_response({"ok": True})
