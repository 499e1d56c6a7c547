"""Long polling: getUpdates returns one update per call, with no offset; 408 means empty.

Each update is handed to the inbox at once and the next poll starts, so a slow step in one
chat does not hold up the others.
"""

from __future__ import annotations

import asyncio
import logging

from bot.channels.zalo.client import ZaloApiError, ZaloClient, ZaloNetworkError
from bot.channels.zalo.inbox import ZaloInbox

log = logging.getLogger(__name__)


class ZaloPolling:
    def __init__(self, client: ZaloClient, inbox: ZaloInbox, *, timeout: int = 30,
                 max_backoff: float = 30.0) -> None:
        self.client = client
        self.inbox = inbox
        self.timeout = timeout
        self.max_backoff = max_backoff

    async def run(self) -> None:
        failures = 0
        webhook_cleared = False
        while True:
            try:
                if not webhook_cleared:
                    # getUpdates does not work while a webhook is set.
                    await self.client.delete_webhook()
                    webhook_cleared = True
                await self.poll_once()
                failures = 0
            except (ZaloApiError, ZaloNetworkError) as exc:
                failures += 1
                wait = min(self.max_backoff, 0.5 * 2 ** min(failures, 8))
                log.warning("%s polling: %s; again in %.1fs", self.inbox.channel, exc, wait)
                await asyncio.sleep(wait)

    async def poll_once(self) -> int:
        """One getUpdates call; how many new updates it queued."""
        body = await self.client.get_updates(self.timeout)
        if body is None:
            return 0
        return self.inbox.accept(body)
