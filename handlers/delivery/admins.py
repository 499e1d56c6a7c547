"""Notices to the administrators (people with the admin role), such as a bot's quota."""

from __future__ import annotations

from datetime import datetime

from bot.channels.base import OutboundMessage
from bot.engine.messages import Msg
from bot.i18n import Translator
from storage.models import ChannelIdentity
from storage.uow import UnitOfWork


class AdminNotices:
    def __init__(self, translator: Translator, default_language: str) -> None:
        self.translator = translator
        self.default_language = default_language

    async def send(
        self, uow: UnitOfWork, msg: Msg, now: datetime, *, once: str, avoid_channel: str = ""
    ) -> int:
        """Queue ``msg`` to every administrator, once per ``once`` key and person: to an
        account not on ``avoid_channel`` when they have one (that bot may be the problem).
        Returns how many administrators it was queued for."""
        by_person: dict[int, list[ChannelIdentity]] = {}
        people = {}
        for person, identity in await uow.memberships.admins_reachable():
            by_person.setdefault(person.id, []).append(identity)
            people[person.id] = person
        for person_id, identities in by_person.items():
            preferred = [i for i in identities if i.channel != avoid_channel] or identities
            target = preferred[0]
            lang = people[person_id].language or self.default_language
            await uow.outbox.enqueue(
                identity_id=target.id, channel=target.channel, address=target.address,
                payload=OutboundMessage(self.translator.render(lang, msg)).to_payload(),
                now=now, kind="notice", dedupe_key=f"admin:{once}:{person_id}",
            )
        return len(by_person)
