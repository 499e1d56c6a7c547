"""Draft timers run by the fire poller: one nudge after silence, then expiry."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.channels.base import ChannelBook
from bot.engine.inputs import TimeoutInput
from bot.i18n import Translator
from handlers.conversation.draft_state import DraftState
from handlers.conversation.turn import Turn
from handlers.reports.flow import ReportFlow
from storage.models import Fire
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class DraftTimers:
    def __init__(
        self, flow: ReportFlow, translator: Translator, tz: ZoneInfo, default_language: str,
        channels: ChannelBook,
    ) -> None:
        self.channels = channels
        self.flow = flow
        self.translator = translator
        self.tz = tz
        self.default_language = default_language

    async def nudge(self, uow: UnitOfWork, fire: Fire, now: datetime) -> None:
        await self._timeout(uow, fire, now, "nudge")

    async def expire(self, uow: UnitOfWork, fire: Fire, now: datetime) -> None:
        await self._timeout(uow, fire, now, "expire")

    async def _timeout(self, uow: UnitOfWork, fire: Fire, now: datetime, kind: str) -> None:
        conv_id = int(fire.target.split(":", 1)[1])
        conv = await uow.conversations.get(conv_id)
        if conv is None or not conv.state or conv.identity_id is None:
            return
        person = await uow.people.lock(conv.person_id)
        await uow.conversations.reload(conv)
        draft = DraftState.of(conv)
        if draft.session is None:
            return  # finished while we waited for the lock
        wanted = draft.wanted(fire.kind)
        if wanted is not None and wanted > now:
            # Armed when the draft began; answers since then moved the wanted time on.
            await uow.fires.schedule(fire.kind, fire.target, wanted, now, {})
            return
        identity = await uow.identities.get(conv.identity_id)
        if identity is None:
            return
        turn = Turn(uow, identity, person, now, self.tz, self.translator, self.default_language,
                    conversation=conv, channel=self.channels.capabilities(identity.channel))
        turn.drafted(conv, draft.fired(fire.kind))  # this timer has fired: no longer armed
        await self.flow.step(turn, conv, draft.session,
                             TimeoutInput(kind))  # type: ignore[arg-type]
        await turn.flush()
        log.info("draft %s: %s", conv_id, kind)
