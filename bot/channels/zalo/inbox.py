"""Where Zalo updates go, from polling and from the webhook alike.

Zalo has no offset and no redelivery we can count on: getUpdates hands out each update once,
and the webhook is answered at once. So an update, once received, is ours to keep: it waits
in its chat's lane (a chat's messages are applied in order, chats in parallel) and is retried
with backoff while the database is unreachable, instead of being dropped.

A photo's URL expires, so it is downloaded here, before the step is applied, into the media
directory; the stored answer refers to the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.channels.base import Attachment, InboundEvent, InboundSink
from bot.channels.zalo import updates as zu
from bot.channels.zalo.client import ZaloClient, ZaloNetworkError

log = logging.getLogger(__name__)

# Message ids remembered to drop a repeat before any work (the database drops it anyway).
RECENT = 5000


class ZaloInbox:
    def __init__(
        self,
        channel: str,
        client: ZaloClient,
        inbound: InboundSink,
        media_dir: Path,
        max_photo_bytes: int,
        *,
        retry_for: float = 600.0,
    ) -> None:
        self.channel = channel
        self.client = client
        self.inbound = inbound
        self.media_dir = media_dir
        self.max_photo_bytes = max_photo_bytes
        self.retry_for = retry_for
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._lanes: dict[str, deque[zu.ZaloUpdate]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def accept(self, body: Any) -> int:
        """Queue the updates in a body (either envelope); returns how many were new."""
        queued = 0
        for raw in zu.unwrap(body):
            update = zu.parse(raw)
            if update is None or not update.private:
                continue  # reports and names stay in private chats
            if update.message_id in self._recent:
                continue
            self._recent[update.message_id] = None
            while len(self._recent) > RECENT:
                self._recent.popitem(last=False)
            self._lanes.setdefault(update.chat_id, deque()).append(update)
            if update.chat_id not in self._tasks:
                self._tasks[update.chat_id] = asyncio.create_task(self._run(update.chat_id))
            queued += 1
        return queued

    async def join(self) -> None:
        """Wait until every queued update has been applied (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in list(self._tasks.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _run(self, chat: str) -> None:
        lane = self._lanes[chat]
        try:
            while lane:
                await self._apply(lane[0])
                lane.popleft()
        finally:
            self._tasks.pop(chat, None)
            if not lane:
                self._lanes.pop(chat, None)

    async def _apply(self, update: zu.ZaloUpdate) -> None:
        event = await self._event(update)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.retry_for
        wait = 0.5
        while True:
            try:
                await self.inbound.handle(event)
                return
            except Exception as exc:  # nothing committed: the database is unreachable
                if loop.time() >= deadline:
                    log.error("zalo %s: message %s dropped after retries (%s)",
                              self.channel, update.message_id, type(exc).__name__)
                    return
                log.warning("zalo %s: message %s not applied (%s); again in %.1fs",
                            self.channel, update.message_id, type(exc).__name__, wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, 30.0)

    async def _event(self, update: zu.ZaloUpdate) -> InboundEvent:
        if update.event_name != zu.IMAGE:
            return zu.event(self.channel, update)
        if update.photo_url is None:
            return zu.event(self.channel, update, unsupported="photo_failed")
        month = f"{update.sent_at or datetime.now(UTC):%Y-%m}"
        stem = f"{self.channel}-{_safe(update.message_id)}"
        try:
            got = await self.client.download(
                update.photo_url, self.media_dir / "zalo" / month, stem, self.max_photo_bytes
            )
        except ZaloNetworkError as exc:
            log.warning("zalo %s: photo of message %s not downloaded: %s",
                        self.channel, update.message_id, exc)
            return zu.event(self.channel, update, unsupported="photo_failed")
        if got.too_big:
            # Refused by the conversation with the size limit in its message; nothing kept.
            return zu.event(self.channel, update,
                            attachment=Attachment("photo", "", got.size, None, got.mime))
        ref = got.path.relative_to(self.media_dir).as_posix()
        return zu.event(self.channel, update,
                        attachment=Attachment("photo", ref, got.size, got.path.name, got.mime))


def _safe(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum() or ch in "-_")[:64] or "photo"
