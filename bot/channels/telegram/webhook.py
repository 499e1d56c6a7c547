"""The Telegram webhook route on the project's aiohttp server.

Telegram sends the secret given to setWebhook in X-Telegram-Bot-Api-Secret-Token; anything
else is answered 403 before the body is read. The answer 200 goes out only after the update's
transaction has committed; on failure we answer 500 and Telegram delivers it again. A body
that is not JSON (or is nested deeper than any update) is answered 400. An update that keeps
failing while the database works is set aside by the inbound path (and answered 200), so one
poison update cannot hold up the ones behind it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from bot.http_server import has_secret, read_json

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramWebhook:
    def __init__(
        self, bot: Bot, feed: Callable[[Update], Awaitable[None]], secret: str
    ) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret")
        self.bot = bot
        self.feed = feed
        self._secret = secret.encode()

    async def handle(self, request: web.Request) -> web.Response:
        if not has_secret(request, SECRET_HEADER, self._secret):
            return web.json_response({"ok": False}, status=403)
        body = await read_json(request)
        if body is None:
            log.warning("telegram webhook: a body that is not JSON was refused")
            return web.json_response({"ok": False}, status=400)
        try:
            update = Update.model_validate(body, context={"bot": self.bot})
        except (ValueError, ValidationError):
            # Not an update: answering 2xx stops Telegram from retrying something useless.
            log.warning("telegram webhook: a body that is not an update was dropped")
            return web.json_response({"ok": False}, status=200)
        try:
            await self.feed(update)
        except Exception:
            log.exception("telegram update %s not handled; Telegram will retry",
                          update.update_id)
            return web.json_response({"ok": False}, status=500)
        return web.json_response({"ok": True})
