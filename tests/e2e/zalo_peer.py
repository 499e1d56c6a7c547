"""A Zalo Bot API peer served on loopback for the tests, faithful to the documented API.

POST JSON to /bot<token>/<method>; an envelope {ok, result, error_code, description} back.
getUpdates hands out one update per call, has no offset, and ends an empty long poll with
error 408; while a webhook is set it refuses. Webhook deliveries carry the secret in
X-Bot-Api-Secret-Token, some wrapped as {ok, result}, some bare. Dates are in milliseconds.
sendMessage takes 1-2,000 characters (400 otherwise) and answers 429 once the month's
message quota is spent (or, for a test, for the next few sends: ``refuse``). Zalo documents
429 only as "quota exceeded" (DOMAIN.md, from the Bot Platform's pages); openclaw's channel
(github.com/openclaw/openclaw, docs/channels/zalo.md) notes 429s on bursts too. A photo's
URL is served here and expires.

The simulated users live on the peer object (``says``, ``sends_photo``...); the tests read
what the bot sent with ``sent`` / ``wait_sent``.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

SECRET_HEADER = "X-Bot-Api-Secret-Token"


@dataclass
class ZaloUser:
    id: str
    display_name: str


@dataclass
class BotState:
    token: str
    bot_id: str
    updates: deque[dict[str, Any]] = field(default_factory=deque)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    webhook_url: str = ""
    webhook_secret: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)
    monthly_quota: int = 3000
    webhook_answers: list[int] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    wrap_next: bool = True
    # The next sends answered 429 whatever the count (a burst limit, a glitch).
    refusals: int = 0
    # Chats the bot can no longer write to (the user left or blocked it): answered 404.
    gone: set[str] = field(default_factory=set)
    refused: list[dict[str, Any]] = field(default_factory=list)
    photos_sent: list[dict[str, Any]] = field(default_factory=list)
    # What getUpdates handed out. Zalo has no offset, so nothing tells it that an update
    # arrived; here an update counts as handed out once the bot asks for the next one on the
    # same connection (it does only after storing it). An update whose bot died before that
    # (its last) is in doubt: the API itself offers no way to know whether it arrived.
    handed: list[str] = field(default_factory=list)
    handed_out: list[str] = field(default_factory=list)
    # By the connection's own protocol object (held here, so never reused: a port may be).
    last_by_connection: dict[object, str] = field(default_factory=dict)
    connection: object = None
    transport: Any = None


class ZaloPeer:
    def __init__(self, *, max_poll: float = 1.0, photo_ttl: float = 60.0) -> None:
        self.max_poll = max_poll
        self.photo_ttl = photo_ttl
        self.bots: dict[str, BotState] = {}
        self.photos: dict[str, tuple[bytes, float]] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.base = ""

    # -- life ---------------------------------------------------------------------------
    async def start(self) -> ZaloPeer:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._api)
        app.router.add_get("/media/{name}", self._media)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        self._http = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def add_bot(self, *, monthly_quota: int = 3000) -> str:
        """A new bot; returns its token ("<bot id>:<access token>", as Zalo's)."""
        bot_id = str(10**18 + secrets.randbelow(10**18))
        token = f"{bot_id}:{secrets.token_urlsafe(24)}"
        self.bots[token] = BotState(token, bot_id, monthly_quota=monthly_quota)
        return token

    # -- the simulated users --------------------------------------------------------------
    def _message(self, user: ZaloUser, **content: Any) -> dict[str, Any]:
        return {
            "from": {"id": user.id, "display_name": user.display_name, "is_bot": False},
            "chat": {"id": user.id, "chat_type": "PRIVATE"},
            "message_id": secrets.token_hex(10),
            "date": int(time.time() * 1000),
            **content,
        }

    async def says(self, token: str, user: ZaloUser, text: str) -> dict[str, Any]:
        return await self.deliver(token, {"event_name": "message.text.received",
                                          "message": self._message(user, text=text)})

    async def sends_photo(self, token: str, user: ZaloUser, data: bytes,
                          caption: str = "") -> dict[str, Any]:
        name = f"{secrets.token_hex(8)}.jpg"
        self.photos[name] = (data, time.monotonic() + self.photo_ttl)
        url = f"{self.base}/media/{name}"
        return await self.deliver(token, {
            "event_name": "message.image.received",
            "message": self._message(user, photo_url=url, caption=caption),
        })

    async def sends_sticker(self, token: str, user: ZaloUser) -> dict[str, Any]:
        return await self.deliver(token, {
            "event_name": "message.sticker.received",
            "message": self._message(user, sticker="0e078a2fb66a5f34067b",
                                     url="https://stickers.example/x.png"),
        })

    async def deliver(self, token: str, update: dict[str, Any]) -> dict[str, Any]:
        """To the webhook when one is set, else into the getUpdates queue."""
        bot = self.bots[token]
        if bot.webhook_url:
            # Zalo sends some updates wrapped as {ok, result}, some bare: both shapes, in turn.
            body = {"ok": True, "result": update} if bot.wrap_next else update
            bot.wrap_next = not bot.wrap_next
            await self.post_webhook(token, body, bot.webhook_secret)
        else:
            bot.updates.append(update)
            bot.arrived.set()
        return update

    async def post_webhook(self, token: str, body: Any, secret: str) -> int:
        bot = self.bots[token]
        assert self._http is not None
        async with self._http.post(bot.webhook_url, json=body,
                                   headers={SECRET_HEADER: secret}) as resp:
            bot.webhook_answers.append(resp.status)
            return resp.status

    def forget(self, token: str, chat_id: str) -> None:
        """The user is gone for this bot: sends to the chat answer 404 (what
        bot/channels/zalo/channel.py reads as unreachable)."""
        self.bots[token].gone.add(chat_id)

    def refuse(self, token: str, sends: int = 1) -> None:
        """Answer the bot's next ``sends`` sends with 429."""
        self.bots[token].refusals += sends

    # -- what the bot sent ----------------------------------------------------------------
    def sent(self, token: str, chat_id: str | None = None) -> list[str]:
        return [m["text"] for m in self.bots[token].sent
                if chat_id is None or m["chat_id"] == chat_id]

    async def wait_sent(self, token: str, chat_id: str, count: int,
                        within: float = 15.0) -> list[str]:
        """Wait until the chat has received ``count`` messages in all; returns them."""
        deadline = time.monotonic() + within
        while len(self.sent(token, chat_id)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"expected {count} messages, got: {self.sent(token, chat_id)}")
            await asyncio.sleep(0.02)
        return self.sent(token, chat_id)

    # -- the API --------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        bot = self.bots.get(request.match_info["token"])
        method = request.match_info["method"]
        if bot is None:
            return _error(401, "Unauthorized", status=401)
        bot.calls.append(method)
        try:
            body = await request.json()
        except ValueError:
            body = {}
        # Read by the handler before its first await: which connection asks.
        bot.connection = request.protocol
        bot.transport = request.transport
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, "Not found", status=404)
        result: web.Response = await handler(bot, body if isinstance(body, dict) else {})
        return result

    async def _m_getMe(self, bot: BotState, body: dict[str, Any]) -> web.Response:
        return _ok({"id": bot.bot_id, "account_name": "bot.test", "account_type": "BASIC",
                    "can_join_groups": False})

    async def _m_getUpdates(self, bot: BotState, body: dict[str, Any]) -> web.Response:
        if bot.webhook_url:
            return _error(400, "Webhook is set; use deleteWebhook first")
        connection, transport = bot.connection, bot.transport
        if connection in bot.last_by_connection:
            bot.handed_out.append(bot.last_by_connection.pop(connection))
        wait = min(float(body.get("timeout") or 30), self.max_poll)
        if not bot.updates:
            bot.arrived.clear()
            try:
                await asyncio.wait_for(bot.arrived.wait(), wait)
            except TimeoutError:
                pass
        if not bot.updates or transport is None or transport.is_closing():
            # Nothing, or the asker is gone (a killed bot): nothing is handed to no one.
            return _error(408, "Request timeout", status=408)
        update = bot.updates.popleft()  # one update per call
        message_id = str((update.get("message") or {}).get("message_id"))
        bot.handed.append(message_id)
        bot.last_by_connection[connection] = message_id
        return _ok(update)

    async def _m_setWebhook(self, bot: BotState, body: dict[str, Any]) -> web.Response:
        secret = str(body.get("secret_token") or "")
        if not body.get("url") or not 8 <= len(secret) <= 256:
            return _error(400, "url and secret_token (8-256 characters) are required")
        bot.webhook_url, bot.webhook_secret = str(body["url"]), secret
        return _ok({"url": bot.webhook_url, "updated_at": int(time.time() * 1000)})

    async def _m_deleteWebhook(self, bot: BotState, body: dict[str, Any]) -> web.Response:
        bot.webhook_url = bot.webhook_secret = ""
        return _ok({"url": "", "updated_at": int(time.time() * 1000)})

    async def _m_getWebhookInfo(self, bot: BotState, body: dict[str, Any]) -> web.Response:
        return _ok({"url": bot.webhook_url, "updated_at": int(time.time() * 1000)})

    async def _m_sendMessage(self, bot: BotState, body: dict[str, Any]) -> web.Response:
        text = body.get("text")
        if not body.get("chat_id") or not isinstance(text, str) or not 1 <= len(text) <= 2000:
            return _error(400, "text must be 1-2000 characters")
        if str(body["chat_id"]) in bot.gone:
            return _error(404, "User not found")
        if bot.refusals > 0 or len(bot.sent) >= bot.monthly_quota:
            bot.refusals = max(bot.refusals - 1, 0)
            bot.refused.append({"chat_id": str(body["chat_id"]), "text": text})
            return _error(429, "Quota exceeded")
        message = {"chat_id": str(body["chat_id"]), "text": text,
                   "message_id": secrets.token_hex(10), "date": int(time.time() * 1000)}
        bot.sent.append(message)
        return _ok({"message_id": message["message_id"], "date": message["date"]})

    async def _m_sendPhoto(self, bot: BotState, body: dict[str, Any]) -> web.Response:
        """sendPhoto takes a public image URL (and an optional caption): Zalo's servers fetch
        it (DOMAIN.md, Messengers; openclaw's extensions/zalo/src/send.ts passes a media URL).
        The peer fetches it too and keeps what it got, so a test sees whether the address
        really served the photo to an outsider."""
        url = body.get("photo")
        if not body.get("chat_id") or not isinstance(url, str) or not url.startswith("http"):
            return _error(400, "photo must be a URL")
        assert self._http is not None
        async with self._http.get(url) as response:
            data = await response.read()
            status = response.status
        if status != 200:
            return _error(400, f"photo URL answered {status}")
        message = {"chat_id": str(body["chat_id"]), "photo": url, "bytes": data,
                   "caption": body.get("caption", ""), "message_id": secrets.token_hex(10)}
        bot.photos_sent.append(message)
        return _ok({"message_id": message["message_id"]})

    async def _m_sendChatAction(self, bot: BotState, body: dict[str, Any]) -> web.Response:
        return web.json_response({"ok": True})

    async def _media(self, request: web.Request) -> web.StreamResponse:
        item = self.photos.get(request.match_info["name"])
        if item is None or item[1] < time.monotonic():
            return web.Response(status=404)
        return web.Response(body=item[0], content_type="image/jpeg")


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, status: int = 200) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description},
                             status=status)
