"""Invite codes: created by administrators, redeemed in the chat."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invite, Membership, OrgUnit
from storage.repositories.org import grassroots, in_subtrees


def live(now: datetime) -> ColumnElement[bool]:
    """An invite that still enrols someone: not expired, not used up, not revoked."""
    return and_(Invite.expires_at > now, Invite.uses < Invite.max_uses,
                Invite.revoked_at.is_(None))


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

    async def live_under(self, paths: Sequence[str], now: datetime, limit: int = 2000
                         ) -> list[tuple[Invite, OrgUnit]]:
        """The invites of these subtrees that still enrol someone, in tree order."""
        if not paths:
            return []
        rows = await self.s.execute(
            select(Invite, OrgUnit).join(OrgUnit, OrgUnit.id == Invite.unit_id)
            .where(in_subtrees(paths), live(now)).order_by(OrgUnit.path, Invite.id)
            .limit(limit))
        return [(i, u) for i, u in rows.all()]

    async def live_counts(self, paths: Sequence[str], now: datetime) -> dict[int, int]:
        """Live invites per unit of these subtrees (units without one are absent)."""
        rows = await self.s.execute(
            select(Invite.unit_id, func.count()).join(OrgUnit, OrgUnit.id == Invite.unit_id)
            .where(in_subtrees(paths), live(now)).group_by(Invite.unit_id))
        return {int(u): int(n) for u, n in rows.all()}

    async def get(self, invite_id: int) -> tuple[Invite, OrgUnit] | None:
        row = (await self.s.execute(
            select(Invite, OrgUnit).join(OrgUnit, OrgUnit.id == Invite.unit_id)
            .where(Invite.id == invite_id))).first()
        return (row[0], row[1]) if row is not None else None

    async def revoke(self, invite_id: int, now: datetime) -> bool:
        result = await self.s.execute(
            update(Invite).where(Invite.id == invite_id, Invite.revoked_at.is_(None))
            .values(revoked_at=now))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def units_needing_chair(self, paths: Sequence[str], now: datetime
                                  ) -> Sequence[OrgUnit]:
        """The subtrees' CĐCS with no chair and no live chair invite: those a bulk run of
        invites is for (run twice, it makes none the second time)."""
        chaired = exists().where(Membership.unit_id == OrgUnit.id, Membership.role == "chair")
        invited = exists().where(Invite.unit_id == OrgUnit.id, Invite.role == "chair",
                                 live(now))
        return (await self.s.scalars(
            select(OrgUnit).where(in_subtrees(paths), grassroots(), ~chaired, ~invited)
            .order_by(OrgUnit.path))).all()

