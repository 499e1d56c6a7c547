"""Outbound messages: written with the state change, sent by the worker after commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.dialect import PerDialect
from storage.models import OutboxMessage

# Lower goes first. A notice (an identity became unreachable, say) is news for officials but
# not urgent; it goes with reminders.
PRIORITY = {"alert": 0, "reply": 1, "notice": 2, "reminder": 2, "digest": 3}

_TABLE = OutboxMessage.__table__
_ENQUEUE = PerDialect(lambda insert: insert(_TABLE))
_ENQUEUE_ONCE = PerDialect(
    lambda insert: insert(_TABLE).on_conflict_do_nothing(index_elements=["dedupe_key"])
)


class Outbox:
    def __init__(self, session: AsyncSession, core: AsyncConnection) -> None:
        self.s = session
        self.c = core  # Core statements on the same transaction

    async def enqueue(
        self,
        *,
        identity_id: int | None,
        channel: str,
        address: str,
        payload: dict[str, Any],
        now: datetime,
        kind: str = "reply",
        dedupe_key: str | None = None,
    ) -> None:
        values = {
            "identity_id": identity_id,
            "channel": channel,
            "address": address,
            "kind": kind,
            "priority": PRIORITY.get(kind, 1),
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "dedupe_key": dedupe_key,
            "created_at": now,
        }
        stmts = _ENQUEUE if dedupe_key is None else _ENQUEUE_ONCE
        await self.c.execute(stmts.on(self.c), values)

    async def claim(
        self, now: datetime, limit: int, lease: timedelta, per_chat: int | None = None
    ) -> Sequence[OutboxMessage]:
        """Lease due messages so no other worker sends them; expired leases are retaken.

        A chat with a message out on a live lease (being sent by this worker or another) is
        left alone: its next message waits until that one is done, so a row taken back from a
        dead worker goes before anything queued after it, and two workers never send to one
        chat at once. Within a chat rows go by priority, then in the order they were queued.
        At most ``per_chat`` per chat are taken, so one chat's backlog (a chat can take one
        message a second) never fills a batch that other chats are waiting for.
        """
        due = and_(
            OutboxMessage.next_attempt_at <= now,
            or_(
                OutboxMessage.status == "pending",
                and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now),
            ),
        )
        busy = select(OutboxMessage.channel, OutboxMessage.address).where(
            OutboxMessage.status == "sending", OutboxMessage.lease_until >= now)
        free = tuple_(OutboxMessage.channel, OutboxMessage.address).not_in(busy)
        rank = func.row_number().over(
            partition_by=(OutboxMessage.channel, OutboxMessage.address),
            order_by=(OutboxMessage.priority, OutboxMessage.id),
        )
        ranked = select(
            OutboxMessage.id, OutboxMessage.priority, rank.label("rank")
        ).where(due, free).subquery()
        pick = (
            select(ranked.c.id)
            .where(ranked.c.rank <= (per_chat or limit))
            .order_by(ranked.c.priority, ranked.c.id)
            .limit(limit)
        )
        candidates = list((await self.s.scalars(pick)).all())
        if not candidates:
            return []
        # The update re-checks "due" row by row: of two workers racing for a row, the second
        # finds it leased (PostgreSQL re-evaluates the condition after the first commits).
        claimed = list((await self.s.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(candidates), due)
            .values(status="sending", lease_until=now + lease, attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.id)
        )).all())
        if not claimed:
            return []
        rows = await self.s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(claimed))
            .order_by(OutboxMessage.priority, OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
        return rows.all()

    async def renew(self, ids: Sequence[int], until: datetime) -> int:
        """Keep the leases of rows a living worker still holds (queued in a lane, being
        sent, or sent and waiting for their mark): only a dead worker's rows lapse."""
        if not ids:
            return 0
        result = await self.s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "sending")
            .values(lease_until=until)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def mark_sent(self, message_id: int, now: datetime) -> None:
        await self._set(message_id, status="sent", sent_at=now, lease_until=None)

    async def retry_at(
        self, message_id: int, when: datetime, error: str, *, counted: bool = True
    ) -> None:
        """Try again at ``when``; an uncounted retry (a 429) does not use up an attempt."""
        values: dict[str, Any] = {
            "status": "pending", "next_attempt_at": when, "lease_until": None, "last_error": error,
        }
        if not counted:
            values["attempts"] = OutboxMessage.attempts - 1
        await self._set(message_id, **values)

    async def repark(self, channel: str, reason: str, when: datetime) -> int:
        """Rows of ``channel`` waiting for ``reason`` (a pause) now wait until ``when``: the
        pause's new end, or now when it is over."""
        result = await self.s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.channel == channel, OutboxMessage.status == "pending",
                   OutboxMessage.last_error.startswith(reason))
            .values(next_attempt_at=when))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def drop(self, message_id: int, reason: str) -> None:
        """Not sent, on purpose (a stranger's or a burst's reply over its bound)."""
        await self._set(message_id, status="dropped", lease_until=None, last_error=reason)

    async def dead_letter(self, message_id: int, error: str) -> None:
        await self._set(message_id, status="dead", lease_until=None, last_error=error)

    async def release(self, ids: Sequence[int], when: datetime, reason: str) -> None:
        """Hand claimed rows back unsent; the claim's attempt is not counted against them."""
        if not ids:
            return
        await self.s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "sending")
            .values(
                status="pending",
                next_attempt_at=when,
                lease_until=None,
                attempts=OutboxMessage.attempts - 1,
                last_error=reason,
            )
        )

    async def get(self, message_id: int) -> OutboxMessage | None:
        return await self.s.get(OutboxMessage, message_id)

    async def reroute(
        self, message_id: int, *, identity_id: int, channel: str, address: str,
        payload: dict[str, Any], now: datetime,
    ) -> bool:
        """Send this message to another account of the same person instead; the original is
        kept as "rerouted". False when it was rerouted already (a second worker, say)."""
        row = await self.get(message_id)
        if row is None or row.status == "rerouted":
            return False
        await self.enqueue(identity_id=identity_id, channel=channel, address=address,
                           payload=payload, now=now, kind=row.kind,
                           dedupe_key=f"reroute:{message_id}")
        await self._set(message_id, status="rerouted", lease_until=None,
                        last_error=f"sent via {channel}")
        return True

    async def dead_letter_many(self, ids: Sequence[int], error: str) -> None:
        if ids:
            await self.s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(status="dead", lease_until=None, last_error=error)
            )

    async def _set(self, message_id: int, **values: Any) -> None:
        await self.s.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
        )

    async def backlog(self) -> dict[str, int]:
        """Rows waiting, out for sending, dead and dropped (through the status index: the
        sent rows, most of the table, are not read)."""
        rows = await self.s.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.status.in_(("pending", "sending", "dead", "dropped")))
            .group_by(OutboxMessage.status))
        found = {status: 0 for status in ("pending", "sending", "dead", "dropped")}
        found.update({status: int(n) for status, n in rows.all()})
        return found

    async def pending_count(self) -> int:
        count = await self.s.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_(("pending", "sending")))
        )
        return int(count or 0)
