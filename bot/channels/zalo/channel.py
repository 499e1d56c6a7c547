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
        return len(zalo_parts(message)) + len(message.photos)

    async def send(self, address: str, message: OutboundMessage) -> SendResult:
        """The text's parts, then each photo by its URL (sendPhoto: Zalo fetches the
        address itself, so it must be public; ours are signed and expire)."""
        calls = [("text", part) for part in zalo_parts(message)]
        calls += [("photo", url) for url in message.photos]
        for i, (what, arg) in enumerate(calls):
            if i:
                await self.limits.acquire(address)
            try:
                if what == "photo":
                    await self.client.send_photo(address, arg)
                else:
                    await self.client.send_message(address, arg)
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
