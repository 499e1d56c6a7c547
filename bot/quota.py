"""A messenger bot's monthly quota, planned for instead of discovered (Zalo's free plan:
50 users and 3,000 messages a calendar month per bot).

Before each send the worker takes budget: the message's parts, and its recipient as one of
the month's users. Near the cap the last messages are kept for what matters most: each kind
of message may spend the budget only while more than its reserved share is left, so alerts
go before replies, replies before reminders, reminders before digests. Administrators are
warned once a month when a count passes the warning share, and told when the messenger
itself answers "quota exceeded" (429), which parks the bot's messages until the month ends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import ZaloQuotaSettings
from bot.engine.messages import Msg
from handlers.admins import AdminNotices
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Spend:
    identity_id: int
    kind: str
    parts: int


class MonthlyQuota:
    def __init__(
        self, channel: str, label: str, settings: ZaloQuotaSettings, tz: ZoneInfo,
        admins: AdminNotices,
    ) -> None:
        self.channel = channel
        self.label = label
        self.settings = settings
        self.tz = tz
        self.admins = admins

    def month(self, now: datetime) -> str:
        return f"{now.astimezone(self.tz):%Y-%m}"

    def resets_at(self, now: datetime) -> datetime:
        """The first moment of next month, local time: when the plan's counts start again."""
        local = now.astimezone(self.tz)
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        return datetime(year, month, 1, tzinfo=self.tz)

    def _limit(self, kind: str) -> int:
        cap = self.settings.monthly_messages
        share = self.settings.reserve.get(kind, max(self.settings.reserve.values(), default=0))
        return cap - int(cap * share)

    async def take(self, uow: UnitOfWork, spend: Spend, now: datetime) -> str | None:
        """Count the send against the month; a reason when it must not go now."""
        month = self.month(now)
        total = await uow.usage.take_messages(self.channel, month, spend.parts,
                                              self._limit(spend.kind))
        if total is None:
            return f"{self.channel} monthly quota kept for more urgent messages ({spend.kind})"
        ok, users = await uow.usage.take_user(self.channel, month, spend.identity_id,
                                              self.settings.monthly_users)
        if not ok:
            await uow.usage.give_back(self.channel, month, spend.parts)
            return f"{self.channel} monthly user cap reached"
        await self._warn_on_crossing(uow, now, "messages", total - spend.parts, total,
                                     self.settings.monthly_messages)
        if users is not None:
            await self._warn_on_crossing(uow, now, "users", users - 1, users,
                                         self.settings.monthly_users)
        return None

    async def give_back(self, uow: UnitOfWork, parts: int, now: datetime) -> None:
        """Parts that did not leave are not counted."""
        await uow.usage.give_back(self.channel, self.month(now), parts)

    async def exhausted(self, uow: UnitOfWork, now: datetime) -> None:
        """The messenger said the quota is spent: park until the month ends, tell the admins."""
        month = self.month(now)
        if not await uow.usage.mark_exhausted(self.channel, month, now):
            return
        log.warning("%s: the messenger reports its monthly quota spent", self.channel)
        reset = self.resets_at(now)
        await self.admins.send(
            uow, Msg("quota.exhausted", bot=self.label, month=_month_label(month),
                     reset=f"{reset:%d/%m/%Y}"),
            now, once=f"quota:{self.channel}:{month}:exhausted", avoid_channel=self.channel,
        )

    async def _warn_on_crossing(
        self, uow: UnitOfWork, now: datetime, what: str, before: int, used: int, cap: int
    ) -> None:
        # The counts move by one atomic UPDATE, so exactly one send crosses the line.
        line = cap * self.settings.warn_at
        if not before < line <= used:
            return
        month = self.month(now)
        # The outbox's dedupe key makes this once per bot, month, count and administrator.
        await self.admins.send(
            uow, Msg(f"quota.warn_{what}", bot=self.label, used=used, cap=cap,
                     month=_month_label(month), percent=round(100 * used / cap)),
            now, once=f"quota:{self.channel}:{month}:{what}", avoid_channel=self.channel,
        )


def _month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{number}/{year}"
