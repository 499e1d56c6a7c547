"""When a messenger refuses a person (blocked bot, deleted chat), their officials are told.

A chair who blocked the bot silently stops receiving reminders and alerts; the unit's
officials are the people who can phone them, so they get one notice per refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.channels.base import ChannelBook, OutboundMessage
from bot.engine.messages import Msg
from bot.i18n import Translator
from storage.models import ChannelIdentity, Membership, OrgUnit, Person
from storage.uow import UnitOfWork


def unit_ids_upward(unit: OrgUnit) -> list[int]:
    """The unit, then its ancestors, nearest first (from the materialised path)."""
    ids = [int(x) for x in unit.path.strip("/").split("/") if x]
    return list(reversed(ids)) or [unit.id]


class Reachability:
    def __init__(self, translator: Translator, default_language: str,
                 channels: ChannelBook) -> None:
        self.channels = channels
        self.translator = translator
        self.default_language = default_language

    async def refused(self, uow: UnitOfWork, identity_id: int, now: datetime, reason: str) -> None:
        """Mark the identity unreachable; on the first refusal, queue the officials' notice."""
        if not await uow.identities.mark_unreachable(identity_id, now):
            return
        identity = await uow.identities.get(identity_id)
        if identity is None:
            return
        await uow.audit.write(
            "identity.unreachable", now, subject=f"{identity.channel}:{identity.external_id}",
            details={"reason": reason}, person_id=identity.person_id, identity_id=identity.id,
        )
        person = await uow.people.get(identity.person_id)
        name = (person.display_name if person else "") or identity.display_name
        channel = self.channels.capabilities(identity.channel).title
        memberships = await uow.memberships.of_person(identity.person_id)
        ladders = [unit_ids_upward(unit) for _, unit in memberships]
        officials = [
            row for row in await uow.memberships.officials_reachable(
                sorted({u for ladder in ladders for u in ladder}))
            if row[1].id != identity.person_id
        ]
        notified: set[int] = set()
        for (membership, unit), ladder in zip(memberships, ladders, strict=True):
            for _, official, target in _nearest_level(ladder, officials):
                if target.id in notified:
                    continue
                notified.add(target.id)
                lang = official.language or self.default_language
                text = self.translator.render(lang, Msg(
                    "notice.unreachable", name=name, unit=unit.name, channel=channel,
                    role=self.translator.text(lang, f"role.{membership.role}"),
                ))
                await uow.outbox.enqueue(
                    identity_id=target.id, channel=target.channel, address=target.address,
                    payload=OutboundMessage(text).to_payload(), now=now, kind="notice",
                    dedupe_key=f"unreachable:{identity_id}:{now:%Y%m%d%H%M%S}:{target.id}",
                )


def _nearest_level(
    ladder: list[int], officials: Sequence[tuple[Membership, Person, ChannelIdentity]]
) -> list[tuple[Membership, Person, ChannelIdentity]]:
    """The officials of the nearest level that has any: the level that looks after the unit."""
    for level in ladder:
        here = [row for row in officials if row[0].unit_id == level]
        if here:
            return here
    return []
