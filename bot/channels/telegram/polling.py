"""Long polling that acknowledges an update only after its transaction has committed.

Telegram forgets updates below the ``offset`` of the next getUpdates call. The offset moves
past a batch only when every update in it has been handled and committed, so a crash or a
database outage mid-batch means Telegram delivers the batch again; the processed-event table
makes the repeats harmless. (aiogram's own polling moves the offset when an update is read.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.exceptions import AiogramError, TelegramRetryAfter
from aiogram.types import Update

from bot.backoff import backoff
from bot.channels.telegram.channel import ALLOWED_UPDATES

log = logging.getLogger(__name__)


def chat_key(update: Update) -> int:
    """Updates of one chat are handled in order; different chats in parallel."""
    if update.message is not None:
        return update.message.chat.id
    if update.callback_query is not None:
        return update.callback_query.from_user.id
    return -update.update_id


class TelegramPolling:
    def __init__(
        self,
        bot: Bot,
        feed: Callable[[Update], Awaitable[None]],
        *,
        timeout: int = 25,
        max_backoff: float = 30.0,
    ) -> None:
        self.bot = bot
        self.feed = feed
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.offset: int | None = None

    async def run(self) -> None:
        failures = 0
        webhook_cleared = False
        while True:
            try:
                if not webhook_cleared:
                    # getUpdates is refused while a webhook is set; pending updates are kept.
                    await self.bot.delete_webhook(drop_pending_updates=False)
                    webhook_cleared = True
                batch = await self.poll_once()
                failures = 0
            except TelegramRetryAfter as exc:
                await asyncio.sleep(exc.retry_after)
                continue
            except (AiogramError, OSError, TimeoutError) as exc:  # network, HTML from a proxy
                failures += 1
                wait = backoff(failures, self.max_backoff)
                log.warning("telegram polling: %s; again in %.1fs", type(exc).__name__, wait)
                await asyncio.sleep(wait)
                continue
            if batch < 0:  # handling failed: wait a little before Telegram sends it again
                failures += 1
                await asyncio.sleep(backoff(failures, self.max_backoff))

    async def poll_once(self) -> int:
        """One getUpdates round; the number of updates handled, or -1 when handling failed
        (the offset then stays, so they come again)."""
        updates = await self.bot.get_updates(
            offset=self.offset,
            timeout=self.timeout,
            allowed_updates=list(ALLOWED_UPDATES),
            request_timeout=self.timeout + 10,
        )
        if not updates:
            return 0
        if not await self.handle_batch(updates):
            return -1
        self.offset = updates[-1].update_id + 1
        return len(updates)

    async def handle_batch(self, updates: list[Update]) -> bool:
        lanes: dict[int, list[Update]] = {}
        for update in updates:
            lanes.setdefault(chat_key(update), []).append(update)

        async def lane(items: list[Update]) -> None:
            for item in items:
                await self.feed(item)

        results = await asyncio.gather(*(lane(items) for items in lanes.values()),
                                       return_exceptions=True)
        ok = True
        for result in results:
            if isinstance(result, Exception):
                log.error("telegram update not handled; it will come again: %s",
                          type(result).__name__)
                ok = False
            elif isinstance(result, BaseException):
                raise result  # cancellation or a crash: stop without acknowledging
        return ok
