"""The inbound path: dedupe, load and lock the person, dispatch, commit once.

The processed-event row, the state change and the outbox rows share one transaction, so a
messenger's repeat delivery, or a crash before commit, can neither lose nor double a step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.channels.base import DUPLICATE, Handled, InboundEvent
from bot.clock import Clock
from bot.engine.messages import Msg
from bot.i18n import Translator
from handlers.dispatch import Dispatcher
from handlers.turn import Turn
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)



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
    ) -> None:
        self.uows = uows
        self.clock = clock
        self.dispatcher = dispatcher
        self.translator = translator
        self.tz = tz
        self.default_language = default_language
        self.on_commit = on_commit

    async def handle(self, event: InboundEvent) -> Handled:
        """Apply one event and commit; a repeat is dropped. Raises only if nothing committed
        (the database is down), so the messenger delivers the event again later."""
        try:
            applied = await self._apply_once_more_if_disconnected(event)
        except IntegrityError:
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
        except DBAPIError as exc:
            if not exc.connection_invalidated:
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
            if not await uow.events.claim(event.channel, event.event_id, now):
                return DUPLICATE
            arrival = await uow.arrivals.load(event.channel, event.sender_id)
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
                        enrolled_hint=arrival.enrolled)
            if fail:
                await turn.say(Msg("error.internal"))
            else:
                await self.dispatcher.dispatch(turn, event)
            await turn.flush()
            await uow.commit()
        return Handled(True, turn.t(turn.notice) if turn.notice else None)

    async def _seen(self, event: InboundEvent) -> bool:
        async with self.uows() as uow:
            return await uow.events.seen(event.channel, event.event_id)
