"""Retention as policy: what the bot keeps of its own bookkeeping, and for how long.

Processed event ids exist to drop a messenger's repeats: they are kept for the redelivery
window plus a margin (7 days by default; Telegram keeps an unconfirmed update for 24 hours,
Zalo's getUpdates does not redeliver). Outbox rows that are finished (sent, dead, dropped,
rerouted) are kept for a while to answer "was it sent?" (90 days by default); rows waiting or
being sent are never removed, whatever their age. Reports, incidents, the ledger and the
audit log are records, not bookkeeping: nothing here touches them. Expired web passes go too.

A "retention.sweep" fire runs once a day; each run removes at most one batch of each kind,
and runs again a minute later while a batch came back full, so a backlog of millions goes
in short transactions that never hold the delivery worker up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.models import Fire
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

SWEEP = "retention.sweep"
TARGET = "retention"
AGAIN = timedelta(minutes=1)
DAILY = timedelta(days=1)


@dataclass(frozen=True)
class RetentionPolicy:
    events: timedelta = timedelta(days=7)
    outbox: timedelta = timedelta(days=90)
    batch: int = 5000


async def arm(uow: UnitOfWork, now: datetime) -> None:
    """At start-up: sweep at the next poll (a stopped service's backlog goes first)."""
    await uow.fires.schedule(SWEEP, TARGET, now, now, {})


class Sweeper:
    def __init__(self, policy: RetentionPolicy) -> None:
        self.policy = policy

    async def sweep(self, uow: UnitOfWork, now: datetime) -> bool:
        """One batch of each kind; True when a batch came back full (more to remove)."""
        p = self.policy
        events = await uow.retention.events(now - p.events, p.batch)
        messages = await uow.retention.messages(now - p.outbox, p.batch)
        passes = await uow.web.purge(now)
        if events or messages or passes:
            log.info("retention: removed %d event ids, %d outbox rows, %d web passes",
                     events, messages, passes)
        return p.batch in (events, messages)

    async def on_sweep(self, uow: UnitOfWork, fire: Fire, now: datetime) -> None:
        more = await self.sweep(uow, now)
        await uow.fires.schedule(SWEEP, TARGET, now + (AGAIN if more else DAILY), now, {})
