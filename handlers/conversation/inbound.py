"""The inbound path: dedupe, load and lock the person, dispatch, commit once.

The processed-event row, the state change and the outbox rows share one transaction, so a
messenger's repeat delivery, or a crash before commit, can neither lose nor double a step.

What a messenger hands over is made storable first (no NUL, no lone surrogate, no control
characters in names): PostgreSQL refuses those, and one such name once stopped polling for
everyone. An update that still cannot be applied after a few tries, while the database takes
other writes, is set aside with its reason, its sender is told, and the channel moves on.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.channels.base import DUPLICATE, ChannelBook, Handled, InboundEvent, OutboundMessage
from bot.clock import Clock
from bot.engine.messages import Msg
from bot.i18n import Translator
from handlers.conversation.dispatch import Dispatcher
from handlers.conversation.turn import Turn
from storage.errors import DuplicateRow, connection_lost
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# C0 and C1 controls except tab and newline, and lone surrogates (not encodable as UTF-8).
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_NAME_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]+")
# Tries before an update that keeps failing is set aside, and the pause between them.
POISON_TRIES = 3
POISON_PAUSE = 0.3


def storable(event: InboundEvent) -> InboundEvent:
    """The event with text every database can store and a one-line name."""
    name = _NAME_UNSAFE.sub(" ", event.display_name).strip()[:200]
    text = _UNSTORABLE.sub("", event.text) if event.text is not None else None
    if name == event.display_name and text == event.text:
        return event
    return replace(event, display_name=name, text=text)


class InboundHandler:
    def __init__(
        self,
        uows: Callable[[], UnitOfWork],
        clock: Clock,
        dispatcher: Dispatcher,
        translator: Translator,
        tz: ZoneInfo,
        default_language: str,
        on_commit: Callable[[], None] = lambda: None,
        *,
        channels: ChannelBook,
    ) -> None:
        self.uows = uows
        self.clock = clock
        self.dispatcher = dispatcher
        self.translator = translator
        self.tz = tz
        self.default_language = default_language
        self.on_commit = on_commit
        self.channels = channels

    async def handle(self, event: InboundEvent) -> Handled:
        """Apply one event and commit; a repeat is dropped. Raises only if nothing committed
        (the database is down), so the messenger delivers the event again later."""
        event = storable(event)
        try:
            applied = await self._apply_once_more_if_disconnected(event)
        except DuplicateRow:
            # Most likely the same event committed concurrently; check before apologising.
            if await self._seen(event):
                return DUPLICATE
            log.exception("inbound %s/%s failed", event.channel, event.event_id)
            applied = await self._apply(event, fail=True)
        except Exception:
            log.exception("inbound %s/%s failed", event.channel, event.event_id)
            applied = await self._apply(event, fail=True)
        if applied:
            self.on_commit()
        return applied

    async def _apply_once_more_if_disconnected(self, event: InboundEvent) -> Handled:
        try:
            return await self._apply(event, fail=False)
        except Exception as exc:
            if not connection_lost(exc):
                raise
            # The database restarted under a pooled connection: nothing was applied, and the
            # pool has been emptied, so the step simply runs again on a fresh connection.
            log.warning("inbound %s/%s: database connection lost, retrying",
                        event.channel, event.event_id)
            return await self._apply(event, fail=False)

    async def _apply(self, event: InboundEvent, *, fail: bool) -> Handled:
        now = self.clock.now()
        async with self.uows() as uow:
            # Claimed first: a concurrent copy of this event waits here, then drops out.
            claimed, arrival = await uow.arrivals.claim_and_load(
                event.channel, event.event_id, event.sender_id, now)
            if not claimed:
                return DUPLICATE
            if arrival is None:  # a stranger's first message
                await uow.identities.get_or_create(
                    event.channel, event.sender_id, event.chat_id, event.display_name, now
                )
                arrival = await uow.arrivals.load(event.channel, event.sender_id)
                assert arrival is not None
            elif arrival.identity.unreachable_at is not None:
                # They wrote to us, so the messenger delivers to them again.
                arrival.identity.unreachable_at = None
            turn = Turn(uow, arrival.identity, arrival.person, now, self.tz, self.translator,
                        self.default_language, conversation=arrival.conversation,
                        enrolled_hint=arrival.enrolled,
                        channel=self.channels.capabilities(event.channel))
            if fail:
                await turn.say(Msg("error.internal"))
            else:
                await self.dispatcher.dispatch(turn, event)
            await turn.flush()
            await uow.commit()
        return Handled(True, turn.t(turn.notice) if turn.notice else None)

    async def handle_or_set_aside(self, event: InboundEvent, body: str) -> Handled:
        """``handle``, tried a few times; an event that still fails while the database takes
        writes is poison: it is recorded as failed with ``body`` (the update as received)
        and the reason, its sender is told, and it counts as handled so the channel moves
        on. Raises only when the database takes nothing (then nothing is lost: the channel
        keeps the update and tries again later)."""
        problem: Exception | None = None
        for attempt in range(POISON_TRIES):
            try:
                return await self.handle(event)
            except Exception as exc:
                problem = exc
                await asyncio.sleep(POISON_PAUSE * (attempt + 1))
        assert problem is not None
        return await self.set_aside(event, body, problem)

    async def set_aside(self, event: InboundEvent, body: str, problem: Exception) -> Handled:
        """Record the update as failed, tell its chat, and mark the event id as seen, in one
        transaction; if that fails too, the database is down and ``problem`` is raised."""
        now = self.clock.now()
        reason = f"{type(problem).__name__}: {problem}"
        try:
            async with self.uows() as uow:
                if not await uow.events.claim(event.channel, event.event_id, now):
                    return DUPLICATE
                await uow.inbound.set_aside(event.channel, event.event_id, event.chat_id, body,
                                            reason, now)
                await self._to_chat(uow, event, Msg("inbound.set_aside"), now)
                await uow.commit()
        except Exception:
            log.warning("inbound %s/%s not set aside either: the database is unreachable",
                        event.channel, event.event_id)
            raise problem from None
        log.error("inbound %s/%s set aside after %d tries: %s", event.channel, event.event_id,
                  POISON_TRIES, type(problem).__name__)
        self.on_commit()
        return Handled(True)

    async def group_message(self, event: InboundEvent) -> Handled:
        """A message in a group chat: reports and names stay in private chats, so the group
        gets one short line a day saying to write to the bot privately, and nothing else."""
        now = self.clock.now()
        day = f"{now.astimezone(self.tz):%Y-%m-%d}"
        async with self.uows() as uow:
            if not await uow.events.claim(event.channel, event.event_id, now):
                return DUPLICATE
            await self._to_chat(uow, event, Msg("group.write_privately"), now,
                                once=f"group:{event.channel}:{event.chat_id}:{day}")
            await uow.commit()
        self.on_commit()
        return Handled(True)

    async def _to_chat(self, uow: UnitOfWork, event: InboundEvent, msg: Msg, now: datetime,
                       once: str | None = None) -> None:
        """A message to the chat an event came from, whoever's account it is (or no one's)."""
        text = self.translator.render(self.default_language, msg)
        await uow.outbox.enqueue(identity_id=None, channel=event.channel, address=event.chat_id,
                                 payload=OutboundMessage(text).to_payload(), now=now,
                                 kind="notice", dedupe_key=once)

    async def _seen(self, event: InboundEvent) -> bool:
        async with self.uows() as uow:
            return await uow.events.seen(event.channel, event.event_id)
