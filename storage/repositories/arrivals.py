"""What one inbound step needs about its sender, read (and the person locked) in one statement.

A step used to read the identity, lock the person, read the draft and the memberships one
after another; each is a round trip, and round trips, not the database's work, were most of a
step's time (bench/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelIdentity, Conversation, Membership, Person

_ENROLLED = select(Membership.id).where(Membership.person_id == Person.id).exists()

# Built once: composing a statement costs more than running it from the compiled cache.
# FOR UPDATE OF person serialises one person's events on PostgreSQL (SQLite has one writer).
_ARRIVAL = (
    select(ChannelIdentity, Person, Conversation, _ENROLLED.label("enrolled"))
    .join(Person, Person.id == ChannelIdentity.person_id)
    .outerjoin(Conversation, Conversation.person_id == Person.id)
    .where(
        ChannelIdentity.channel == bindparam("channel"),
        ChannelIdentity.external_id == bindparam("external_id"),
    )
    .with_for_update(of=Person)
)


# The same, by the account's id: a web page's request (its session names the account).
_BY_IDENTITY = (
    select(ChannelIdentity, Person, Conversation, _ENROLLED.label("enrolled"))
    .join(Person, Person.id == ChannelIdentity.person_id)
    .outerjoin(Conversation, Conversation.person_id == Person.id)
    .where(ChannelIdentity.id == bindparam("identity_id"))
    .with_for_update(of=Person)
)


@dataclass
class Arrival:
    identity: ChannelIdentity
    person: Person
    conversation: Conversation | None
    enrolled: bool  # holds at least one role on a unit


class Arrivals:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def load(self, channel: str, external_id: str) -> Arrival | None:
        """The sender's identity, person (locked) and open draft; None for a stranger."""
        row = (
            await self.s.execute(_ARRIVAL, {"channel": channel, "external_id": external_id})
        ).first()
        if row is None:
            return None
        identity, person, conversation, enrolled = row
        return Arrival(identity, person, conversation, bool(enrolled))

    async def of_identity(self, identity_id: int) -> Arrival | None:
        """``load`` for an account known by its id (a signed-in web page)."""
        row = (await self.s.execute(_BY_IDENTITY, {"identity_id": identity_id})).first()
        if row is None:
            return None
        identity, person, conversation, enrolled = row
        return Arrival(identity, person, conversation, bool(enrolled))
