"""The Telegram peer for end-to-end tests: the Node runner process and a simulated user.

The runner (telegram_peer/runner.mjs) serves the Bot API to the bot and client routes to the
simulated user; /_runner/* routes inject errors and read what the bot did.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import secrets
import shutil
import string
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

PEER_DIR = Path(__file__).parent / "telegram_peer"
T = TypeVar("T")


class RunnerProcess:
    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None or not (PEER_DIR / "node_modules" / "telegram-test-api").is_dir():
            raise FileNotFoundError(
                "the Telegram peer is not installed: run `npm ci --prefix tests/e2e/telegram_peer`"
                " (make test does)"
            )
        self.proc = subprocess.Popen(
            [node, "runner.mjs", "--port", "0"], cwd=PEER_DIR,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            errors = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"peer did not start: {errors}")
        self.port = int(json.loads(line)["port"])
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def new_token() -> str:
    """A token shaped like Telegram's, different per test so peer state never mixes."""
    alphabet = string.ascii_letters + string.digits + "_-"
    return f"{secrets.randbelow(10**9) + 10**9}:" + "".join(
        secrets.choice(alphabet) for _ in range(35))


_update_ids = itertools.count(1)


@dataclass
class TgUser:
    id: int
    first_name: str
    language_code: str = "vi"

    @property
    def as_from(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": False, "first_name": self.first_name,
                "language_code": self.language_code}

    @property
    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


@dataclass
class Peer:
    base: str
    token: str
    http: aiohttp.ClientSession
    pressed: list[str] = field(default_factory=list)

    @property
    def api_base(self) -> str:
        return self.base

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.http.post(self.base + path, json=body) as resp:
            data = await resp.json(content_type=None)
        return data.get("result")

    async def _get(self, path: str, **params: Any) -> Any:
        async with self.http.get(self.base + path, params=params) as resp:
            data = await resp.json(content_type=None)
        return data.get("result")

    # -- the simulated user -------------------------------------------------------------
    def _message(self, user: TgUser, **fields: Any) -> dict[str, Any]:
        return {"botToken": self.token, "from": user.as_from, "chat": user.chat,
                "date": int(time.time()), **fields}

    async def text(self, user: TgUser, text: str) -> None:
        if text.startswith("/"):
            command = text.split(" ", 1)[0]
            entities = [{"offset": 0, "length": len(command), "type": "bot_command"}]
            await self._post("/sendCommand", self._message(user, text=text, entities=entities))
        else:
            await self._post("/sendMessage", self._message(user, text=text))

    async def send(self, user: TgUser, **content: Any) -> None:
        """A message with any content: photo=[...], document={...}, location={...}."""
        await self._post("/sendMessage", self._message(user, **content))

    async def press(self, user: TgUser, message: dict[str, Any], data: str) -> None:
        bot_message = {
            "message_id": message["message_id"], "date": int(time.time()),
            "chat": {"id": int(message["chat_id"]), "type": "private"},
            "text": message["text"], "reply_markup": message["reply_markup"],
        }
        await self._post("/sendCallback", {"botToken": self.token, "from": user.as_from,
                                           "message": bot_message, "data": data})

    # -- what the bot did ---------------------------------------------------------------
    async def chat(self, chat_id: int) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = await self._get(
            "/_runner/chat", chat_id=str(chat_id), token=self.token)
        for m in messages:
            m["chat_id"] = chat_id
        return messages

    async def wait_chat(
        self, chat_id: int, predicate: Callable[[list[dict[str, Any]]], bool],
        within: float = 15.0,
    ) -> list[dict[str, Any]]:
        return await eventually(lambda: self.chat(chat_id), predicate,
                                f"a message in chat {chat_id}", within)

    async def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = await self._get("/_runner/calls", token=self.token)
        return [c for c in calls if method is None or c["method"] == method]

    async def callback_answers(self) -> list[dict[str, Any]]:
        answers: list[dict[str, Any]] = await self._get(
            "/_runner/callback_answers", token=self.token)
        return answers

    async def commands(self) -> dict[str, list[dict[str, str]]]:
        menus: dict[str, list[dict[str, str]]] = await self._get(
            "/_runner/commands", token=self.token)
        return menus

    async def webhook(self) -> dict[str, Any] | None:
        """The webhook set for this bot (url and secret_token), as the peer holds it."""
        hook: dict[str, Any] | None = await self._get("/_runner/webhook", token=self.token)
        return hook

    async def webhook_log(self) -> list[dict[str, Any]]:
        log: list[dict[str, Any]] = await self._get("/_runner/webhook_log")
        return log

    async def strict(self, *, per_second: int = 30, chat_gap_ms: int = 900) -> None:
        """Refuse this bot's sends over Telegram's published pace with 429 (runner.mjs)."""
        await self._post("/_runner/limits", {"token": self.token, "per_second": per_second,
                                             "chat_gap_ms": chat_gap_ms})

    async def fault(self, method: str, error_code: int, description: str, *, count: int = 1,
                    chat_id: int | None = None, retry_after: int | None = None,
                    raw: bool = False) -> None:
        await self._post("/_runner/faults", {
            "token": self.token, "method": method, "error_code": error_code,
            "description": description, "count": count, "chat_id": chat_id,
            "retry_after": retry_after, "raw": raw,
        })


async def eventually(fetch: Callable[[], Awaitable[T]], done: Callable[[T], bool],
                     what: str, within: float = 15.0) -> T:
    """Poll ``fetch`` until ``done`` holds for its result."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await fetch()
        if done(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last: {value!r:.300}")
        await asyncio.sleep(0.03)


def button(message: dict[str, Any], label_part: str) -> str:
    """The callback data of the button whose label contains ``label_part``."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for b in row:
            if label_part in b["text"]:
                return str(b["callback_data"])
    raise AssertionError(f"no button '{label_part}' in {message.get('reply_markup')}")


def ci() -> bool:
    return os.environ.get("CI") == "true"
