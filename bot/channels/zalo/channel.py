"""Sending on Zalo: plain text only (no buttons, no edits, no documents).

Choices are numbered, actions are spelled out as reply codes, and a text over 2,000
characters goes as several messages split on line boundaries. Each part counts against the
bot's monthly quota; the delivery worker asks ``parts`` before it reserves the budget.
"""

from __future__ import annotations

import logging

from bot.channels.base import SENT, OutboundMessage, SendResult, render_text, split_lines
from bot.channels.zalo.client import MAX_TEXT, ZaloApiError, ZaloClient, ZaloNetworkError
from bot.ratelimit import TokenBuckets

log = logging.getLogger(__name__)

# Error codes that mean this person cannot be written to through this bot.
UNREACHABLE_CODES = frozenset({404})


def zalo_parts(message: OutboundMessage) -> list[str]:
    return split_lines(render_text(message), MAX_TEXT)


class ZaloChannel:
    """Sends for one bot; its capabilities are declared with the bot (zalo/bot.py)."""

    def __init__(self, name: str, client: ZaloClient, limits: TokenBuckets) -> None:
        self.name = name
        self.client = client
        self.limits = limits

    def parts(self, message: OutboundMessage) -> int:
        return len(zalo_parts(message))

    async def send(self, address: str, message: OutboundMessage) -> SendResult:
        parts = zalo_parts(message)
        for i, part in enumerate(parts):
            if i:
                await self.limits.acquire(address)
            try:
                await self.client.send_message(address, part)
            except ZaloApiError as exc:
                return _result(exc, sent=i)
            except ZaloNetworkError as exc:
                return SendResult("failed", reason=f"network {exc}"[:300], extra={"sent": i})
        return SENT

    async def close(self) -> None:
        await self.client.close()


def _result(exc: ZaloApiError, *, sent: int) -> SendResult:
    reason = f"{exc.code} {exc.description}"[:300]
    extra = {"sent": sent}
    if exc.quota_exceeded:
        return SendResult("quota", reason=reason, extra=extra)
    if exc.code in UNREACHABLE_CODES:
        return SendResult("unreachable", reason=reason, extra=extra)
    return SendResult("failed", reason=reason, extra=extra)
