"""A fake aiogram session that records what a bot sends, answering like Telegram would."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message

TOKEN = "123456789:AAbenchbenchbenchbenchbenchbenchben"


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, Any]] = []
        self._ids = itertools.count(1)

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - the signature aiogram defines
    ) -> TelegramType:
        name = type(method).__name__
        self.sent.append((name, getattr(method, "chat_id", None)))
        if name in ("SendMessage", "EditMessageText"):
            chat_id = int(getattr(method, "chat_id", 0) or 0)
            return Message(  # type: ignore[return-value]
                message_id=next(self._ids), date=int(time.time()),
                chat=Chat(id=chat_id, type="private"), text=getattr(method, "text", ""),
            )
        return True  # type: ignore[return-value]

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        yield b""

    async def close(self) -> None:
        return None


def bench_bot() -> tuple[Bot, RecordingSession]:
    session = RecordingSession()
    return Bot(TOKEN, session=session), session
