"""Where Zalo updates go, from polling and from the webhook alike: to the database first.

Zalo has no offset and no redelivery we can count on: getUpdates hands out each update once,
and the webhook is answered at once. So an update is written to ``inbound_update`` as soon as
it is received (``receive``), before it is applied and before the next poll or the webhook's
answer; a crash after that loses nothing, since the rows are applied from the table (``run``),
after a restart too. Applying goes in lanes, one per chat: a chat's messages in the order they
arrived, chats in parallel. An applied update's row is deleted (its processed-event row then
drops a repeat); one that fails while the database is down stays and is tried again, its
chat's later messages waiting behind it; one that keeps failing while the database works is
set aside by the inbound path, and a body that is not an update at all is stored as
``malformed`` with the reason: logged, kept aside, and skipped.

A photo's URL expires, so it is downloaded here, before the step is applied, into the media
directory; the stored answer refers to the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from bot.channels.base import Attachment, Handled, InboundEvent
from bot.channels.zalo import updates as zu
from bot.channels.zalo.client import ZaloClient, ZaloNetworkError
from bot.clock import Clock
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class ZaloSink(Protocol):
    """The inbound path as the inbox uses it (handlers.conversation.inbound.InboundHandler)."""

    async def handle_or_set_aside(self, event: InboundEvent, body: str) -> Handled: ...

    async def group_message(self, event: InboundEvent) -> Handled: ...


class UowFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


@dataclass(frozen=True)
class _Row:
    id: int
    chat_id: str
    body: str


class ZaloInbox:
    def __init__(
        self,
        channel: str,
        client: ZaloClient,
        inbound: ZaloSink,
        uows: UowFactory,
        clock: Clock,
        media_dir: Path,
        max_photo_bytes: int,
        *,
        poll_seconds: float = 5.0,
    ) -> None:
        self.channel = channel
        self.client = client
        self.inbound = inbound
        self.uows = uows
        self.clock = clock
        self.media_dir = media_dir
        self.max_photo_bytes = max_photo_bytes
        self.poll_seconds = poll_seconds
        self._lanes: dict[str, deque[_Row]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._queued: set[int] = set()
        self._wake = asyncio.Event()

    # -- receiving: stored before anything else -------------------------------------------
    async def receive(self, body: Any) -> int:
        """Store the updates in a body (either envelope); how many were new. Raises when the
        database is unreachable, so the caller keeps the body (polling) or refuses it
        (the webhook answers 500)."""
        rows = _rows(body)
        if not rows:
            return 0
        now = self.clock.now()
        new = 0
        async with self.uows() as uow:
            for event_id, chat_id, text, status, reason in rows:
                new += await uow.inbound.keep(self.channel, event_id, chat_id, text, now,
                                              status=status, reason=reason)
            await uow.commit()
        for event_id, _, _, status, reason in rows:
            if status == "malformed":
                log.warning("zalo %s: update %s kept aside as malformed: %s", self.channel,
                            event_id, reason)
        self._wake.set()
        return new

    # -- applying: from the table ---------------------------------------------------------
    async def run(self) -> None:
        """Apply stored updates as they come, and those left from before a restart."""
        while True:
            self._wake.clear()
            try:
                await self.pull()
            except Exception as exc:  # the database is away: the rows wait in the table
                log.warning("zalo %s inbox: %s; again in %.0fs", self.channel,
                            type(exc).__name__, self.poll_seconds)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()

    async def pull(self) -> int:
        """Queue the stored updates not yet queued, into their chats' lanes, in order."""
        async with self.uows() as uow:
            found = [_Row(r.id, r.chat_id, r.body)
                     for r in await uow.inbound.pending(self.channel, sorted(self._queued))]
        for row in found:
            self._queued.add(row.id)
            self._lanes.setdefault(row.chat_id, deque()).append(row)
            if row.chat_id not in self._tasks:
                self._tasks[row.chat_id] = asyncio.create_task(self._lane(row.chat_id))
        return len(found)

    async def join(self) -> None:
        """Apply everything stored now, and wait until it is done (tests, the console)."""
        while await self.pull() or self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)

    async def _lane(self, chat: str) -> None:
        lane = self._lanes[chat]
        try:
            while lane:
                if not await self._apply(lane[0]):
                    # The database is away: this row and the chat's later ones stay stored
                    # and are queued again, in order, by a later pull.
                    for row in lane:
                        self._queued.discard(row.id)
                    lane.clear()
                    return
                self._queued.discard(lane.popleft().id)
        finally:
            self._tasks.pop(chat, None)
            if not lane:
                self._lanes.pop(chat, None)

    async def _apply(self, row: _Row) -> bool:
        """Apply one stored update and drop its row; False when that could not be done."""
        parsed = zu.parse(json.loads(row.body))
        try:
            if isinstance(parsed, zu.ZaloUpdate) and not parsed.private:
                await self.inbound.group_message(zu.event(self.channel, parsed))
            elif isinstance(parsed, zu.ZaloUpdate):
                await self.inbound.handle_or_set_aside(await self._event(parsed), row.body)
            async with self.uows() as uow:
                await uow.inbound.done(row.id)
                await uow.commit()
        except Exception as exc:
            log.warning("zalo %s: update %s not applied yet (%s)", self.channel, row.id,
                        type(exc).__name__)
            return False
        return True

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


Stored = tuple[str, str, str, str, str | None]  # event id, chat id, body, status, reason


def _rows(body: Any) -> list[Stored]:
    """What to store of a body: each update, or the body itself as malformed."""
    raws = zu.unwrap(body)
    if not raws and body not in (None, {}, [], ""):
        text = _json(body)
        return [(_digest(text), "", text, "malformed", "not an update")]
    rows: list[Stored] = []
    for raw in raws:
        text = _json(raw)
        parsed = zu.parse(raw)
        if parsed is None:
            continue  # another bot's message
        if isinstance(parsed, zu.Malformed):
            rows.append((parsed.message_id or _digest(text), "", text, "malformed",
                         parsed.reason))
        else:
            rows.append((parsed.message_id, parsed.chat_id, text, "pending", None))
    return rows


def _json(value: Any) -> str:
    # ASCII escapes: a NUL or a lone surrogate is stored as its escape, never raw.
    return json.dumps(value, ensure_ascii=True, default=str)


def _digest(text: str) -> str:
    return "malformed:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _safe(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum() or ch in "-_")[:64] or "photo"
