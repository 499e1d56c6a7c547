"""Linking codes, and joining a second messenger account to a person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import upsert
from storage.models import (
    AuditLog,
    ChannelIdentity,
    Conversation,
    Incident,
    IncidentEvent,
    LinkCode,
    Membership,
    Person,
    Report,
    WebPass,
)


class Links:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def exists(self, code: str) -> bool:
        return bool(await self.s.scalar(select(exists().where(LinkCode.code == code))))

    async def create(self, code: str, person_id: int, identity_id: int, expires_at: datetime,
                     now: datetime) -> None:
        # One open code per account: a new one replaces the last.
        await self.s.execute(delete(LinkCode).where(LinkCode.identity_id == identity_id,
                                                    LinkCode.used_at.is_(None)))
        self.s.add(LinkCode(code=code, person_id=person_id, identity_id=identity_id,
                            expires_at=expires_at, created_at=now))
        await self.s.flush()

    async def lock(self, code: str) -> LinkCode | None:
        return await self.s.scalar(select(LinkCode).where(LinkCode.code == code)
                                   .with_for_update())

    async def lock_id(self, link_id: int) -> LinkCode | None:
        return await self.s.scalar(select(LinkCode).where(LinkCode.id == link_id)
                                   .with_for_update())

    async def request(self, link_id: int, identity_id: int, now: datetime) -> None:
        """The account ``identity_id`` typed the code: it waits for the code's account."""
        await self.s.execute(update(LinkCode).where(LinkCode.id == link_id)
                             .values(pending_identity_id=identity_id, requested_at=now))

    async def use(self, link_id: int, now: datetime) -> None:
        await self.s.execute(update(LinkCode).where(LinkCode.id == link_id).values(used_at=now))

    async def merge_people(self, source: int, target: int) -> None:
        """Move everything of person ``source`` to ``target`` and delete ``source``: its
        accounts, roles, reports, audit rows and incident actions; its draft only if
        ``target`` has none."""
        await self.s.execute(select(Person.id).where(Person.id.in_((source, target)))
                             .order_by(Person.id).with_for_update())
        await self.s.execute(update(ChannelIdentity).where(ChannelIdentity.person_id == source)
                             .values(person_id=target))
        roles = (await self.s.execute(
            select(Membership.unit_id, Membership.role, Membership.invite_id,
                   Membership.created_at).where(Membership.person_id == source))).all()
        for unit_id, role, invite_id, created_at in roles:
            stmt = upsert(self.s, Membership.__table__).values(
                person_id=target, unit_id=unit_id, role=role, invite_id=invite_id,
                created_at=created_at)
            await self.s.execute(stmt.on_conflict_do_nothing(
                index_elements=["person_id", "unit_id", "role"]))
        await self.s.execute(delete(Membership).where(Membership.person_id == source))
        await self.s.execute(update(Report).where(Report.person_id == source)
                             .values(person_id=target))
        await self.s.execute(update(AuditLog).where(AuditLog.actor_person_id == source)
                             .values(actor_person_id=target))
        for column in (Incident.acknowledged_by, Incident.resolved_by):
            await self.s.execute(update(Incident).where(column == source)
                                 .values({column: target}))
        await self.s.execute(update(IncidentEvent).where(IncidentEvent.actor_person_id == source)
                             .values(actor_person_id=target))
        has_draft = await self.s.scalar(select(exists().where(Conversation.person_id == target)))
        if has_draft:
            await self.s.execute(delete(Conversation).where(Conversation.person_id == source))
        else:
            await self.s.execute(update(Conversation).where(Conversation.person_id == source)
                                 .values(person_id=target))
        await self.s.execute(update(LinkCode).where(LinkCode.person_id == source)
                             .values(person_id=target))
        await self.s.execute(update(WebPass).where(WebPass.person_id == source)
                             .values(person_id=target))
        await self.s.execute(delete(Person).where(Person.id == source))
