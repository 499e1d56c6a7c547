"""Outbound messages: written with the state change, sent by the worker after commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.dialect import PerDialect, indexed_by
from storage.models import OutboxMessage

# Lower goes first. A notice (an identity became unreachable, say) is news for officials but
# not urgent; it goes with reminders.
PRIORITY = {"alert": 0, "reply": 1, "notice": 2, "reminder": 2, "digest": 3}

_TABLE = cast(Table, OutboxMessage.__table__)
_ENQUEUE = PerDialect(lambda insert: insert(_TABLE))
_ENQUEUE_ONCE = PerDialect(
    lambda insert: insert(_TABLE).on_conflict_do_nothing(index_elements=["dedupe_key"])
)

_MARK_SENT = (update(_TABLE).where(_TABLE.c.id == bindparam("mark_id"))
              .values(status="sent", sent_at=bindparam("mark_at"), lease_until=None))

# A claim reads this many times its limit of candidates per read, and reads at most this
# often (each further read leaves out the chats whose share is already taken).
_WIDTH = 4
_ROUNDS = 3
_CANDIDATE = (OutboxMessage.id, OutboxMessage.channel, OutboxMessage.address,
              OutboxMessage.priority)


def pending(now: datetime, limit: int, leave_out: Iterable[tuple[str, str]] = ()
            ) -> Select[int, str, str, int]:
    """Due rows in send order along ``ix_outbox_send_order``, read until ``limit`` are found:
    the claim's one read whose size could grow with the backlog, and does not."""
    # SQLite without statistics (no ANALYZE ever ran) takes the due-time index, reads the
    # whole queue and sorts it: 18 ms a claim behind 150,000 rows. Told, it walks this one.
    stmt: Select[int, str, str, int] = indexed_by(
        select(*_CANDIDATE).where(OutboxMessage.status == "pending",
                                  OutboxMessage.next_attempt_at <= now),
        "outbox_message", "ix_outbox_send_order")
    chats = list(leave_out)
    if chats:
        stmt = stmt.where(tuple_(OutboxMessage.channel, OutboxMessage.address).not_in(chats))
    return stmt.order_by(OutboxMessage.priority, OutboxMessage.id).limit(limit)


def _pick(rows: Sequence[Any], busy: set[tuple[str, str]], cap: int, limit: int
          ) -> tuple[list[int], set[tuple[str, str]]]:
    """From candidates in send order: the ids to claim (at most ``cap`` per chat, none for a
    busy chat, ``limit`` in all), and the chats at their cap (left out of a further read)."""
    picked: list[int] = []
    taken: dict[tuple[str, str], int] = {}
    for row in rows:
        chat = (row.channel, row.address)
        if chat in busy or taken.get(chat, 0) >= cap:
            continue
        taken[chat] = taken.get(chat, 0) + 1
        picked.append(row.id)
        if len(picked) >= limit:
            break
    return picked, {c for c, n in taken.items() if n >= cap}


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

        Its cost does not grow with the backlog (150,000 reminders queued by one calendar
        step, a province-wide directive): candidates are read in send order along the index
        ``(status, priority, id)`` and the read stops after a few times ``limit`` rows; the
        per-chat rules are applied to that small set here. Should one chat's backlog fill the
        candidates, the next read leaves that chat out (at most ``_ROUNDS`` reads).
        """
        cap = per_chat or limit
        busy = {(str(c), str(a)) for c, a in (await self.s.execute(
            indexed_by(select(OutboxMessage.channel, OutboxMessage.address).where(
                OutboxMessage.lease_until >= now, OutboxMessage.status == "sending"),
                "outbox_message", "ix_outbox_lease"))).all()}
        # Rows a dead worker held, retaken first in their chat (they were queued earlier).
        lapsed = list((await self.s.execute(
            indexed_by(select(*_CANDIDATE).where(OutboxMessage.lease_until < now,
                                                 OutboxMessage.status == "sending",
                                                 OutboxMessage.next_attempt_at <= now),
                       "outbox_message", "ix_outbox_lease")
            .order_by(OutboxMessage.priority, OutboxMessage.id).limit(limit))).all())
        candidates = {r.id: r for r in lapsed}
        picked: list[int] = []
        full: set[tuple[str, str]] = set()
        for _ in range(_ROUNDS):
            fetched = list((await self.s.execute(pending(now, limit * _WIDTH, full))).all())
            for row in fetched:
                candidates.setdefault(row.id, row)
            ordered = sorted(candidates.values(), key=lambda r: (r.priority, r.id))
            picked, full = _pick(ordered, busy, cap, limit)
            if len(picked) >= limit or len(fetched) < limit * _WIDTH:
                break
        if not picked:
            return []
        due = and_(
            OutboxMessage.next_attempt_at <= now,
            or_(
                OutboxMessage.status == "pending",
                and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now),
            ),
        )
        # The update re-checks "due" row by row: of two workers racing for a row, the second
        # finds it leased (PostgreSQL re-evaluates the condition after the first commits).
        claimed = list((await self.s.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(picked), due)
            .values(status="sending", lease_until=now + lease, attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.id)
        )).all())
        if not claimed:
            return []
        found = await self.s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(claimed))
            .order_by(OutboxMessage.priority, OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
        return found.all()

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

    async def mark_sent_many(self, marks: Sequence[tuple[int, datetime]]) -> None:
        """Several rows marked sent, each with its own time, in one executed statement (an
        executemany: one round trip on PostgreSQL with asyncpg)."""
        if marks:
            await self.c.execute(_MARK_SENT, [{"mark_id": i, "mark_at": at} for i, at in marks])

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
