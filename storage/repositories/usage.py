"""A messenger bot's allowance: messages and users counted per calendar month, replies per
account per window, and the pause after the messenger's own "quota exceeded".

Budget is taken before a send with one conditional UPDATE, so concurrent lanes and several
processes can never together pass a cap; parts that were not sent are given back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import upsert
from storage.models import (
    ChannelIdentity,
    ChannelUsage,
    ChannelUsageUser,
    ChannelUsageWindow,
    Membership,
)


@dataclass(frozen=True)
class Taken:
    """Messages counted: the new totals, and whether the bot was paused before (a probe)."""

    messages: int
    stranger_messages: int
    probe: bool


class Usage:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def _ensure(self, channel: str, month: str) -> None:
        stmt = upsert(self.s, ChannelUsage.__table__).values(
            channel=channel, month=month, messages=0, users=0, strikes=0,
            stranger_messages=0, stranger_users=0,
        )
        await self.s.execute(stmt.on_conflict_do_nothing(index_elements=["channel", "month"]))

    async def take_messages(
        self, channel: str, month: str, count: int, up_to: int, now: datetime,
        probe_until: datetime, stranger_up_to: int | None = None,
    ) -> Taken | None:
        """Count ``count`` messages if the total stays within ``up_to`` (and, for a
        stranger's message, the strangers' total within ``stranger_up_to``) and the bot is
        not paused; None when refused (``get`` says why).

        The first send after a pause is the probe: the same UPDATE holds the others back
        until ``probe_until`` (one probe at a time, not every lane at once)."""
        await self._ensure(channel, month)
        u = ChannelUsage
        conditions = [u.channel == channel, u.month == month, u.messages + count <= up_to,
                      or_(u.paused_until.is_(None), u.paused_until <= now)]
        values: dict[str, Any] = {
            "messages": u.messages + count,
            "paused_until": case((u.strikes > 0, probe_until), else_=u.paused_until),
        }
        if stranger_up_to is not None:
            conditions.append(u.stranger_messages + count <= stranger_up_to)
            values["stranger_messages"] = u.stranger_messages + count
        row = (await self.s.execute(
            update(u).where(*conditions).values(values)
            .returning(u.messages, u.stranger_messages, u.strikes)
        )).first()
        if row is None:
            return None
        return Taken(int(row[0]), int(row[1]), int(row[2]) > 0)

    async def give_back(self, channel: str, month: str, count: int, *,
                        stranger: bool = False) -> None:
        if count > 0:
            values: dict[str, Any] = {"messages": ChannelUsage.messages - count}
            if stranger:
                values["stranger_messages"] = ChannelUsage.stranger_messages - count
            await self.s.execute(
                update(ChannelUsage)
                .where(ChannelUsage.channel == channel, ChannelUsage.month == month)
                .values(values)
            )

    async def take_user(
        self, channel: str, month: str, identity_id: int, cap: int | None, *,
        stranger_cap: int | None = None,
    ) -> tuple[bool, int | None]:
        """Count this identity as one of the month's users, within ``cap`` (None: always,
        as for an alert) and, for a stranger, within ``stranger_cap`` of the strangers.

        (True, new total) for a new user counted; (True, None) when already counted this
        month; (False, None) when a cap is reached."""
        await self._ensure(channel, month)
        stmt = upsert(self.s, ChannelUsageUser.__table__).values(
            channel=channel, month=month, identity_id=identity_id
        )
        added = await self.s.execute(
            stmt.on_conflict_do_nothing(index_elements=["channel", "month", "identity_id"])
        )
        if not added.rowcount:  # type: ignore[attr-defined]
            return True, None
        u = ChannelUsage
        conditions = [u.channel == channel, u.month == month]
        values: dict[str, Any] = {"users": u.users + 1}
        if cap is not None:
            conditions.append(u.users < cap)
        if stranger_cap is not None:
            conditions.append(u.stranger_users < stranger_cap)
            values["stranger_users"] = u.stranger_users + 1
        total = await self.s.scalar(
            update(u).where(*conditions).values(values).returning(u.users))
        if total is None:
            await self.s.execute(delete(ChannelUsageUser).where(
                ChannelUsageUser.channel == channel, ChannelUsageUser.month == month,
                ChannelUsageUser.identity_id == identity_id))
            return False, None
        return True, int(total)

    async def take_reply(self, channel: str, span: str, identity_id: int, limit: int) -> bool:
        """Count one reply to this account in ``span``, if fewer than ``limit`` went."""
        stmt = upsert(self.s, ChannelUsageWindow.__table__).values(
            channel=channel, span=span, identity_id=identity_id, replies=0)
        await self.s.execute(stmt.on_conflict_do_nothing(
            index_elements=["channel", "span", "identity_id"]))
        w = ChannelUsageWindow
        got = await self.s.scalar(
            update(w).where(w.channel == channel, w.span == span, w.identity_id == identity_id,
                            w.replies < limit)
            .values(replies=w.replies + 1).returning(w.replies))
        return got is not None

    async def enrolled(self, identity_id: int) -> bool:
        """Whether the account's person holds any role (else: a stranger)."""
        found = await self.s.scalar(select(exists().where(and_(
            ChannelIdentity.id == identity_id,
            Membership.person_id == ChannelIdentity.person_id))))
        return bool(found)

    async def pause(self, channel: str, month: str, now: datetime,
                    pause_end: Callable[[int], datetime], *,
                    probe: bool) -> tuple[int, datetime] | None:
        """The messenger said "quota exceeded": pause until ``pause_end(strikes)`` (the
        next step of the back-off), unless a pause is already running (the probe's own
        failure always moves it on). The strikes so far and the end of the pause, or None
        when another send paused it first."""
        await self._ensure(channel, month)
        usage = await self.get(channel, month, lock=True)
        assert usage is not None
        if not probe and usage.paused_until is not None and usage.paused_until > now:
            return None
        strikes = usage.strikes + 1
        until = pause_end(strikes)
        await self.s.execute(
            update(ChannelUsage)
            .where(ChannelUsage.channel == channel, ChannelUsage.month == month)
            .values(paused_until=until, strikes=strikes, exhausted_at=now)
        )
        return strikes, until

    async def recovered(self, channel: str, month: str) -> bool:
        """A send went through after a pause: the back-off starts over. True the first
        time (one notice)."""
        result = await self.s.execute(
            update(ChannelUsage)
            .where(ChannelUsage.channel == channel, ChannelUsage.month == month,
                   ChannelUsage.strikes > 0)
            .values(strikes=0, paused_until=None)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get(self, channel: str, month: str, *, lock: bool = False) -> ChannelUsage | None:
        stmt = (select(ChannelUsage)
                .where(ChannelUsage.channel == channel, ChannelUsage.month == month)
                .execution_options(populate_existing=True))
        if lock:
            stmt = stmt.with_for_update()
        return await self.s.scalar(stmt)
