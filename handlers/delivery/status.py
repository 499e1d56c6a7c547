"""What an administrator checks first: quotas, backlog and updates set aside.

One typed snapshot, read from the database, rendered by `tinhhinh status` (with the tokens
checked live) and served as /healthz (with the service's own token checks), so both say the
same thing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.engine.messages import Msg
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class QuotaState:
    channel: str
    label: str
    month: str
    messages: int
    messages_cap: int
    users: int
    users_cap: int
    stranger_messages: int
    stranger_messages_cap: int
    stranger_users: int
    stranger_users_cap: int
    paused_until: datetime | None
    strikes: int


@dataclass(frozen=True)
class Snapshot:
    quotas: list[QuotaState] = field(default_factory=list)
    outbox: dict[str, int] = field(default_factory=dict)
    # (channel, status) -> count of updates kept: pending, failed, malformed.
    inbound: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_json(self, tokens: dict[str, str]) -> dict[str, Any]:
        quotas = []
        for q in self.quotas:
            item = asdict(q)
            item["paused_until"] = q.paused_until.isoformat() if q.paused_until else None
            item["token"] = tokens.get(q.channel, "unchecked")
            quotas.append(item)
        return {"quotas": quotas, "outbox": self.outbox, "inbound": self.inbound,
                "tokens": tokens}


@dataclass(frozen=True)
class QuotaPlan:
    """One quota-counted bot, as configured: its channel, caps and the month now."""

    channel: str
    label: str
    month: str
    messages_cap: int
    users_cap: int
    stranger_messages_cap: int
    stranger_users_cap: int


async def snapshot(uow: UnitOfWork, plans: list[QuotaPlan]) -> Snapshot:
    quotas = []
    for plan in plans:
        usage = await uow.usage.get(plan.channel, plan.month)
        quotas.append(QuotaState(
            plan.channel, plan.label, plan.month,
            usage.messages if usage else 0, plan.messages_cap,
            usage.users if usage else 0, plan.users_cap,
            usage.stranger_messages if usage else 0, plan.stranger_messages_cap,
            usage.stranger_users if usage else 0, plan.stranger_users_cap,
            usage.paused_until if usage else None, usage.strikes if usage else 0))
    inbound: dict[str, dict[str, int]] = {}
    for (channel, status), count in (await uow.inbound.counts()).items():
        inbound.setdefault(channel, {})[status] = count
    return Snapshot(quotas, await uow.outbox.backlog(), inbound)


def status_lines(snap: Snapshot, tokens: dict[str, str], channels: list[str],
                 tz: ZoneInfo) -> list[Msg]:
    lines = [Msg("status.channels", channels=", ".join(channels) or "-")]
    for channel, state in sorted(tokens.items()):
        lines.append(Msg(f"status.token.{state.split(':')[0]}", channel=channel,
                         code=state.partition(": ")[2]))
    for q in snap.quotas:
        lines.append(Msg("status.quota", label=q.label, month=q.month, messages=q.messages,
                         messages_cap=q.messages_cap, users=q.users, users_cap=q.users_cap,
                         stranger_users=q.stranger_users,
                         stranger_users_cap=q.stranger_users_cap,
                         stranger_messages=q.stranger_messages,
                         stranger_messages_cap=q.stranger_messages_cap))
        if q.paused_until is not None:
            lines.append(Msg("status.paused", strikes=q.strikes,
                             until=f"{q.paused_until.astimezone(tz):%H:%M %d/%m/%Y}"))
    lines.append(Msg("status.backlog", **snap.outbox))
    for channel, counts in sorted(snap.inbound.items()):
        lines.append(Msg("status.inbound", channel=channel, pending=counts.get("pending", 0),
                         failed=counts.get("failed", 0), malformed=counts.get("malformed", 0)))
    if not snap.inbound:
        lines.append(Msg("status.inbound_none"))
    return lines
