"""What one inbound step needs about its sender, read (and the person locked) in one statement.

A step used to read the identity, lock the person, read the draft and the memberships one
after another; each is a round trip, and round trips, not the database's work, were most of a
step's time (bench/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import is_postgres
from storage.models import ChannelIdentity, Conversation, Membership, Person
from storage.repositories.events import CLAIM, ProcessedEvents

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


# PostgreSQL: the event's claim and the sender's load in one statement, one round trip less
# per step. The claim is a data-modifying CTE, which runs whether or not the query reads it;
# its RETURNING tells whether this transaction took the event (None: a copy took it first,
# and we waited for that copy's transaction on the key, as with the claim on its own).
_CLAIM_CTE = CLAIM["postgresql"].cte("claimed")
_CLAIM_AND_ARRIVAL = _ARRIVAL.add_columns(
    select(_CLAIM_CTE.c.id).scalar_subquery().label("claimed"))
# A stranger has no row to carry the claim's answer: was the event's row written by this
# transaction? (xmin is the inserting transaction's id, 32 bits of the 64 txid_current has.)
_CLAIMED_HERE = text(
    "SELECT 1 FROM processed_event WHERE channel = :channel AND event_id = :event_id "
    "AND xmin::text::bigint = txid_current() % 4294967296")


@dataclass
class Arrival:
    identity: ChannelIdentity
    person: Person
    conversation: Conversation | None
    enrolled: bool  # holds at least one role on a unit


class Arrivals:
    def __init__(self, session: AsyncSession, events: ProcessedEvents) -> None:
        self.s = session
        self.events = events
        self._postgres = is_postgres(session)

    async def claim_and_load(self, channel: str, event_id: str, external_id: str,
                             now: datetime) -> tuple[bool, Arrival | None]:
        """Claim the event (``ProcessedEvents.claim``) and ``load`` its sender: whether this
        transaction took the event, and the arrival (None for a stranger, or when the event
        was taken already)."""
        if not self._postgres:  # in-process statements: nothing to save by merging them
            if not await self.events.claim(channel, event_id, now):
                return False, None
            return True, await self.load(channel, external_id)
        row = (await self.s.execute(_CLAIM_AND_ARRIVAL, {
            "channel": channel, "event_id": event_id, "processed_at": now,
            "external_id": external_id})).first()
        if row is None:
            claimed = await self.s.scalar(_CLAIMED_HERE,
                                          {"channel": channel, "event_id": event_id})
            return claimed is not None, None
        identity, person, conversation, enrolled, claimed = row
        if claimed is None:
            return False, None
        return True, Arrival(identity, person, conversation, bool(enrolled))

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
