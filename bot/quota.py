"""A messenger bot's allowance, planned for instead of discovered (Zalo's free plan: 50 users
and 3,000 messages a calendar month per bot; DOMAIN.md, from Zalo's Bot Platform pages).

Before each send the worker takes budget: the message's parts, and its recipient as one of
the month's users. Near the cap the last messages are kept for what matters most: each kind
of message may spend the budget only while more than its reserved share is left, so alerts
go before replies, replies before reminders, reminders before digests.

Strangers cannot spend what the union needs. People with no role (anyone may write to a
bot) get a few replies a day and count against a small share of the month's users and
messages; past it their replies are dropped. Anyone's replies are bounded per hour, so a
burst of thousands of lines costs a bounded number of messages (the lines themselves are
all taken in). An alert to an official is never held by the user cap.

The messenger's own "quota exceeded" (429) is not taken as the end of the month: Zalo's
documentation says no more than that the free plan has limits, and a 429 may as well be a
burst limit (openclaw's Zalo channel notes that bursts may get 429:
github.com/openclaw/openclaw docs/channels/zalo.md). Where a source is silent we choose what
loses nothing and recovers by itself: the bot pauses (5 minutes, doubling to an hour), the
first send after the pause is the probe, and a probe that goes through ends the episode.
Administrators are told on a channel that works (another bot or Telegram when they have
one), and the state shows in `tinhhinh status` and /healthz.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.config import ZaloQuotaSettings
from bot.engine.messages import Msg
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# While the probe after a pause is out, other sends wait this long at most (a probe that
# goes through releases those already waiting at once; one refused at that very moment
# looks again after this).
PROBE_SECONDS = 10
# The reason recorded on a message waiting for a pause to end.
PAUSED = "paused after the messenger's 429"


@dataclass(frozen=True)
class Spend:
    identity_id: int | None  # None: a chat that is no one's account (a group's hint)
    kind: str
    parts: int


@dataclass(frozen=True)
class Grant:
    """Budget taken. ``probe``: the first send after a pause (its success ends it)."""

    parts: int
    stranger: bool
    probe: bool = False


@dataclass(frozen=True)
class Refusal:
    """Not now: wait until ``until`` (or go through another messenger); None: drop it."""

    reason: str
    until: datetime | None


class Budget(Protocol):
    """A channel's allowance as the delivery worker uses it (MonthlyQuota is the one)."""

    async def take(self, uow: UnitOfWork, spend: Spend, now: datetime) -> Grant | Refusal: ...

    async def give_back(self, uow: UnitOfWork, grant: Grant, parts: int,
                        now: datetime) -> None: ...

    async def refused(self, uow: UnitOfWork, grant: Grant, now: datetime) -> datetime: ...

    async def went_through(self, uow: UnitOfWork, grant: Grant, now: datetime) -> None: ...


class AdminAlerts(Protocol):
    """Where a quota tells the administrators (handlers.delivery.admins.AdminNotices)."""

    async def send(
        self, uow: UnitOfWork, msg: Msg, now: datetime, *, once: str, avoid_channel: str = ""
    ) -> int: ...


class MonthlyQuota:
    def __init__(
        self, channel: str, label: str, settings: ZaloQuotaSettings, tz: ZoneInfo,
        admins: AdminAlerts,
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

    # -- before a send ---------------------------------------------------------------------
    async def take(self, uow: UnitOfWork, spend: Spend, now: datetime) -> Grant | Refusal:
        """Count the send against the month, or say why it must not go now."""
        s = self.settings
        stranger = spend.identity_id is None or not await uow.usage.enrolled(spend.identity_id)
        month = self.month(now)
        taken = await uow.usage.take_messages(
            self.channel, month, spend.parts, self._limit(spend.kind), now,
            now + timedelta(seconds=PROBE_SECONDS),
            stranger_up_to=s.stranger_messages if stranger else None)
        if taken is None:
            return await self._why_not(uow, month, spend, stranger, now)
        grant = Grant(spend.parts, stranger, taken.probe)
        refusal = await self._person(uow, spend, stranger, now)
        if refusal is not None:
            await uow.usage.give_back(self.channel, month, spend.parts, stranger=stranger)
            return refusal
        await self._warn_on_crossing(uow, now, "messages", taken.messages - spend.parts,
                                     taken.messages, s.monthly_messages)
        return grant

    async def _why_not(self, uow: UnitOfWork, month: str, spend: Spend, stranger: bool,
                       now: datetime) -> Refusal:
        usage = await uow.usage.get(self.channel, month)
        if usage is not None and usage.paused_until is not None and usage.paused_until > now:
            return Refusal(f"{PAUSED} ({self.channel})", usage.paused_until)
        if stranger and usage is not None and (
                usage.stranger_messages + spend.parts > self.settings.stranger_messages):
            return Refusal(f"{self.channel}: the month's share for people with no role is "
                           "used up", None)
        return Refusal(f"{self.channel} monthly quota kept for more urgent messages "
                       f"({spend.kind})", self.resets_at(now))

    async def _person(self, uow: UnitOfWork, spend: Spend, stranger: bool,
                      now: datetime) -> Refusal | None:
        """The recipient as one of the month's users, and their replies per window."""
        if spend.identity_id is None:
            return None
        s = self.settings
        month = self.month(now)
        cap = None if spend.kind == "alert" else s.monthly_users
        ok, users = await uow.usage.take_user(
            self.channel, month, spend.identity_id, cap,
            stranger_cap=s.stranger_users if stranger else None)
        if not ok and stranger:
            return Refusal(f"{self.channel}: the month's users for people with no role are "
                           "used up", None)
        if not ok:
            return Refusal(f"{self.channel} monthly user cap reached", self.resets_at(now))
        if users is not None:
            await self._warn_on_crossing(uow, now, "users", users - 1, users, s.monthly_users)
        if spend.kind != "reply":
            return None
        local = now.astimezone(self.tz)
        span, limit = ((f"d:{local:%Y-%m-%d}", s.stranger_replies_per_day) if stranger
                       else (f"h:{local:%Y-%m-%dT%H}", s.replies_per_hour))
        if not await uow.usage.take_reply(self.channel, span, spend.identity_id, limit):
            who = "with no role" if stranger else "any person"
            return Refusal(f"{self.channel}: over {limit} replies in {span} ({who})", None)
        return None

    async def give_back(self, uow: UnitOfWork, grant: Grant, parts: int, now: datetime) -> None:
        """Parts that did not leave are not counted."""
        await uow.usage.give_back(self.channel, self.month(now), parts,
                                  stranger=grant.stranger)

    # -- after a send ------------------------------------------------------------------------
    async def refused(self, uow: UnitOfWork, grant: Grant, now: datetime) -> datetime:
        """The messenger said "quota exceeded": pause, and probe again when it ends."""
        month = self.month(now)

        def pause_end(strikes: int) -> datetime:
            """The back-off: the first pause, doubling with each 429 in a row, capped."""
            s = self.settings
            seconds = min(s.pause_seconds * 2 ** (strikes - 1), s.pause_max_seconds)
            return now + timedelta(seconds=seconds)

        paused = await uow.usage.pause(self.channel, month, now, pause_end, probe=grant.probe)
        if paused is None:  # another send paused it already
            usage = await uow.usage.get(self.channel, month)
            return usage.paused_until if usage and usage.paused_until else pause_end(1)
        strikes, until = paused
        await uow.outbox.repark(self.channel, PAUSED, until)
        log.warning("%s: the messenger refused a send (429, %d in a row); paused until %s",
                    self.channel, strikes, until.isoformat(timespec="seconds"))
        if strikes == 1:
            await self.admins.send(
                uow, Msg("quota.paused", bot=self.label,
                         time=f"{now.astimezone(self.tz):%H:%M %d/%m/%Y}",
                         minutes=round(self.settings.pause_seconds / 60)),
                now, once=f"quota:{self.channel}:paused:{int(now.timestamp())}",
                avoid_channel=self.channel)
        return until

    async def went_through(self, uow: UnitOfWork, grant: Grant, now: datetime) -> None:
        """A probe that went through ends the pause; the administrators hear it once."""
        if grant.probe and await uow.usage.recovered(self.channel, self.month(now)):
            log.warning("%s: sending again after a pause", self.channel)
            # What waited for the pause (or for this probe) goes now, not at its old time.
            await uow.outbox.repark(self.channel, PAUSED, now)
            await self.admins.send(
                uow, Msg("quota.resumed", bot=self.label,
                         time=f"{now.astimezone(self.tz):%H:%M %d/%m/%Y}"),
                now, once=f"quota:{self.channel}:resumed:{int(now.timestamp())}",
                avoid_channel=self.channel)

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
