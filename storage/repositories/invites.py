"""Invite codes: created by administrators, redeemed in the chat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invite


class Invites:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def create(
        self,
        code: str,
        unit_id: int,
        role: str,
        max_uses: int,
        expires_at: datetime,
        created_by: str,
        now: datetime,
    ) -> Invite:
        invite = Invite(
            code=code,
            unit_id=unit_id,
            role=role,
            max_uses=max_uses,
            uses=0,
            expires_at=expires_at,
            created_by=created_by,
            created_at=now,
        )
        self.s.add(invite)
        await self.s.flush()
        return invite

    async def exists(self, code: str) -> bool:
        return await self.s.scalar(select(Invite.id).where(Invite.code == code)) is not None

    async def lock_by_code(self, code: str) -> Invite | None:
        return await self.s.scalar(select(Invite).where(Invite.code == code).with_for_update())

    async def use(self, invite_id: int) -> None:
        await self.s.execute(
            update(Invite).where(Invite.id == invite_id).values(uses=Invite.uses + 1)
        )
