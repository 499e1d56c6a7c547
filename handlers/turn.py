"""One step of work for one person, inside one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.channels.base import OutboundMessage
from bot.engine.messages import Msg
from bot.i18n import Translator
from storage.models import ChannelIdentity, Membership, OrgUnit, Person
from storage.uow import UnitOfWork


@dataclass
class Turn:
    uow: UnitOfWork
    identity: ChannelIdentity
    person: Person
    now: datetime
    tz: ZoneInfo
    translator: Translator
    default_language: str = "vi"
    _memberships: list[tuple[Membership, OrgUnit]] | None = field(default=None, repr=False)

    @property
    def lang(self) -> str:
        return self.person.language or self.default_language

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.tz)

    def t(self, msg: Msg) -> str:
        return self.translator.render(self.lang, msg)

    async def memberships(self, *, fresh: bool = False) -> list[tuple[Membership, OrgUnit]]:
        if self._memberships is None or fresh:
            self._memberships = list(await self.uow.memberships.of_person(self.person.id))
        return self._memberships

    async def reply(self, message: OutboundMessage, kind: str = "reply") -> None:
        await self.uow.outbox.enqueue(
            identity_id=self.identity.id,
            channel=self.identity.channel,
            address=self.identity.address,
            payload=message.to_payload(),
            now=self.now,
            kind=kind,
        )

    async def say(self, msg: Msg) -> None:
        await self.reply(OutboundMessage(self.t(msg)))
