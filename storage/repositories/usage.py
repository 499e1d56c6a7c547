"""A messenger bot's monthly allowance: messages and users counted per calendar month.

Budget is taken before a send with one conditional UPDATE, so concurrent lanes and several
processes can never together pass the cap; parts that were not sent are given back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import upsert
from storage.models import ChannelUsage, ChannelUsageUser


class Usage:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def _ensure(self, channel: str, month: str) -> None:
        stmt = upsert(self.s, ChannelUsage.__table__).values(
            channel=channel, month=month, messages=0, users=0
        )
        await self.s.execute(stmt.on_conflict_do_nothing(index_elements=["channel", "month"]))

    async def take_messages(self, channel: str, month: str, count: int, up_to: int) -> int | None:
        """Count ``count`` messages if the total stays within ``up_to`` and the messenger has
        not declared the month spent; the new total, or None when refused."""
        await self._ensure(channel, month)
        total = await self.s.scalar(
            update(ChannelUsage)
            .where(
                ChannelUsage.channel == channel,
                ChannelUsage.month == month,
                ChannelUsage.messages + count <= up_to,
                ChannelUsage.exhausted_at.is_(None),
            )
            .values(messages=ChannelUsage.messages + count)
            .returning(ChannelUsage.messages)
        )
        return None if total is None else int(total)

    async def give_back(self, channel: str, month: str, count: int) -> None:
        if count > 0:
            await self.s.execute(
                update(ChannelUsage)
                .where(ChannelUsage.channel == channel, ChannelUsage.month == month)
                .values(messages=ChannelUsage.messages - count)
            )

    async def take_user(
        self, channel: str, month: str, identity_id: int, cap: int
    ) -> tuple[bool, int | None]:
        """Count this identity as one of the month's users, within ``cap``.

        (True, new total) for a new user counted; (True, None) when already counted this
        month; (False, None) when the cap is reached."""
        await self._ensure(channel, month)
        stmt = upsert(self.s, ChannelUsageUser.__table__).values(
            channel=channel, month=month, identity_id=identity_id
        )
        added = await self.s.execute(
            stmt.on_conflict_do_nothing(index_elements=["channel", "month", "identity_id"])
        )
        if not added.rowcount:  # type: ignore[attr-defined]
            return True, None
        total = await self.s.scalar(
            update(ChannelUsage)
            .where(ChannelUsage.channel == channel, ChannelUsage.month == month,
                   ChannelUsage.users < cap)
            .values(users=ChannelUsage.users + 1)
            .returning(ChannelUsage.users)
        )
        if total is None:
            await self.s.execute(delete(ChannelUsageUser).where(
                ChannelUsageUser.channel == channel, ChannelUsageUser.month == month,
                ChannelUsageUser.identity_id == identity_id))
            return False, None
        return True, int(total)

    async def mark_exhausted(self, channel: str, month: str, now: datetime) -> bool:
        """Record the messenger's own "quota exceeded"; True the first time this month."""
        await self._ensure(channel, month)
        result = await self.s.execute(
            update(ChannelUsage)
            .where(ChannelUsage.channel == channel, ChannelUsage.month == month,
                   ChannelUsage.exhausted_at.is_(None))
            .values(exhausted_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get(self, channel: str, month: str) -> ChannelUsage | None:
        return await self.s.scalar(
            select(ChannelUsage).where(ChannelUsage.channel == channel,
                                       ChannelUsage.month == month)
            .execution_options(populate_existing=True)
        )
