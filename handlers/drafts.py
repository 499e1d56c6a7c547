"""Draft timers run by the fire poller: one nudge after silence, then expiry."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm.attributes import set_committed_value

from bot.engine.form import ATTACHMENT_KINDS
from bot.engine.inputs import TimeoutInput
from bot.engine.session import Session
from bot.i18n import Translator
from handlers.reports import TIMERS, ReportFlow, draft_timers
from handlers.turn import Turn
from storage.models import Fire
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class DraftTimers:
    def __init__(
        self, flow: ReportFlow, translator: Translator, tz: ZoneInfo, default_language: str,
        inputs: Callable[[str], frozenset[str]] = lambda channel: ATTACHMENT_KINDS,
    ) -> None:
        self.inputs = inputs
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
        await uow.session.refresh(conv)
        if not conv.state or "session" not in conv.state:
            return  # finished while we waited for the lock
        timers = draft_timers(conv.state)
        wanted = timers.pop(fire.kind, None)
        if wanted is not None and datetime.fromisoformat(wanted) > now:
            # Armed when the draft began; answers since then moved the wanted time on.
            await uow.fires.schedule(fire.kind, fire.target, datetime.fromisoformat(wanted),
                                     now, {})
            return
        identity = await uow.identities.get(conv.identity_id)
        if identity is None:
            return
        # This timer has fired: its kind is no longer armed.
        set_committed_value(conv, "state", {**conv.state, TIMERS: timers})
        turn = Turn(uow, identity, person, now, self.tz, self.translator, self.default_language,
                    conversation=conv, inputs=self.inputs(identity.channel))
        session = Session.from_dict(conv.state["session"])
        await self.flow.step(turn, conv, session, TimeoutInput(kind))  # type: ignore[arg-type]
        await turn.flush()
        log.info("draft %s: %s", conv_id, kind)
