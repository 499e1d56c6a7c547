"""Linking a person's Telegram and Zalo accounts with a short code from either side.

"/lienket" on one messenger gives a code; "/lienket CODE" on the other joins that account to
the same person: one set of roles and reports, and the delivery worker can send through the
other messenger when one cannot deliver (handlers.fallback).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm.attributes import set_committed_value

from bot.channels.base import OutboundMessage
from bot.engine.messages import Msg
from handlers.enrolment import new_code, normalise_code
from handlers.reachability import channel_title
from handlers.turn import Turn

CODE_LENGTH = 6


class Linking:
    def __init__(self, valid_minutes: int, wrong_codes_per_hour: int) -> None:
        self.valid = timedelta(minutes=valid_minutes)
        self.limit = wrong_codes_per_hour

    async def offer(self, turn: Turn) -> None:
        uow = turn.uow
        code = new_code(CODE_LENGTH)
        while await uow.links.exists(code):
            code = new_code(CODE_LENGTH)
        await uow.links.create(code, turn.person.id, turn.identity.id, turn.now + self.valid,
                               turn.now)
        await turn.say(Msg("link.code", code=code, minutes=int(self.valid.total_seconds() // 60)))

    async def redeem(self, turn: Turn, text: str) -> None:
        uow, now = turn.uow, turn.now
        failures = await uow.audit.count_since(turn.identity.id, "link.failed",
                                               now - timedelta(hours=1))
        if failures >= self.limit:
            await turn.say(Msg("link.rate_limited", limit=self.limit))
            return
        code = normalise_code(text)
        link = await uow.links.lock(code) if len(code) == CODE_LENGTH else None
        problem = None
        if link is None or link.used_at is not None:
            problem = "link.wrong"
        elif link.expires_at <= now:
            problem = "link.expired"
        if problem is not None or link is None:
            await uow.audit.write("link.failed", now, subject=code[:16],
                                  details={"reason": problem}, person_id=turn.person.id,
                                  identity_id=turn.identity.id)
            await turn.say(Msg(problem or "link.wrong"))
            return
        origin = await uow.identities.get(link.identity_id)
        if link.person_id == turn.person.id or origin is None:
            await turn.say(Msg("link.already"))
            return
        if origin.channel == turn.identity.channel:
            await turn.say(Msg("link.same_channel"))
            return
        source = turn.person.id
        await uow.links.merge_people(source=source, target=link.person_id)
        await uow.links.use(link.id, now)
        target = await uow.people.get(link.person_id)
        assert target is not None
        set_committed_value(turn.identity, "person_id", target.id)
        turn.person = target
        await turn.memberships(fresh=True)
        here, there = channel_title(turn.identity.channel), channel_title(origin.channel)
        await uow.audit.write("identity.linked", now, subject=f"{origin.channel}+"
                              f"{turn.identity.channel}", details={"merged_person": source},
                              person_id=target.id, identity_id=turn.identity.id)
        await turn.say(Msg("link.done", other=there))
        await uow.outbox.enqueue(
            identity_id=origin.id, channel=origin.channel, address=origin.address,
            payload=OutboundMessage(turn.t(Msg("link.done", other=here))).to_payload(), now=now,
        )
