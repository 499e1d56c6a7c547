"""A strict Telegram Bot API peer on loopback, for the delivery and service benchmarks.

It enforces what Telegram documents as its limits, harder than Telegram does: at most 30
messages in any one-second window for the bot, and one message a second per chat; anything
over is answered 429 with ``retry_after``, as Telegram would. ``/_stats`` reports what it saw.
getUpdates long-polls and returns nothing, so a polling bot idles against it.

    python -m bench.peers.bot_api --port 0     (prints "port N" once listening)
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import time
from typing import Any

from aiohttp import web

OVERALL_PER_SECOND = 30
CHAT_INTERVAL = 1.0


class Peer:
    def __init__(self) -> None:
        self.accepted: collections.deque[float] = collections.deque()
        self.last_by_chat: dict[str, float] = {}
        self.sent = 0
        self.refused = 0
        self.first: float | None = None
        self.last: float | None = None
        self.message_id = 0

    def _limit(self, chat: str, now: float) -> bool:
        while self.accepted and now - self.accepted[0] >= 1.0:
            self.accepted.popleft()
        if len(self.accepted) >= OVERALL_PER_SECOND:
            return False
        previous = self.last_by_chat.get(chat)
        return previous is None or now - previous >= CHAT_INTERVAL

    async def method(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        data: dict[str, Any] = dict(await request.post()) if request.can_read_body else {}
        if name == "getUpdates":
            await asyncio.sleep(min(float(data.get("timeout", 0) or 0), 30.0))
            return _ok([])
        if name == "getMe":
            return _ok({"id": 1, "is_bot": True, "first_name": "peer", "username": "peer_bot"})
        if name != "sendMessage":
            return _ok(True)
        now = time.monotonic()
        chat = str(data.get("chat_id"))
        if not self._limit(chat, now):
            self.refused += 1
            return web.json_response({"ok": False, "error_code": 429,
                                      "description": "Too Many Requests: retry after 1",
                                      "parameters": {"retry_after": 1}}, status=429)
        self.accepted.append(now)
        self.last_by_chat[chat] = now
        self.sent += 1
        self.first = self.first if self.first is not None else now
        self.last = now
        self.message_id += 1
        return _ok({"message_id": self.message_id, "date": int(time.time()),
                    "chat": {"id": int(chat), "type": "private"}, "text": data.get("text", "")})

    async def stats(self, _request: web.Request) -> web.Response:
        span = (self.last - self.first) if self.first is not None and self.last else 0.0
        return web.json_response({"sent": self.sent, "refused": self.refused, "span": span})

    async def reset(self, _request: web.Request) -> web.Response:
        self.__init__()  # type: ignore[misc]
        return web.json_response({"ok": True})


def _ok(result: Any) -> web.Response:
    return web.Response(text=json.dumps({"ok": True, "result": result}),
                        content_type="application/json")


async def main(port: int) -> None:
    peer = Peer()
    app = web.Application()
    app.router.add_get("/_stats", peer.stats)
    app.router.add_post("/_reset", peer.reset)
    app.router.add_route("*", "/bot{token}/{method}", peer.method)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"port {bound}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(main(parser.parse_args().port))
