"""Long polling: getUpdates returns one update per call, with no offset; 408 means empty.

Each update is stored by the inbox before the next poll starts (Zalo will not hand it out
again), and applied from there, so a slow step in one chat does not hold up the others and
a crash after the poll loses nothing. While the database cannot take it, the update is held
here and stored again with backoff; no further poll is made until it is kept.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.backoff import backoff
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
                wait = backoff(failures, self.max_backoff)
                log.warning("%s polling: %s; again in %.1fs", self.inbox.channel, exc, wait)
                await asyncio.sleep(wait)

    async def poll_once(self) -> int:
        """One getUpdates call, its update stored; how many new updates it stored."""
        body = await self.client.get_updates(self.timeout)
        if body is None:
            return 0
        return await self._keep(body)

    async def _keep(self, body: Any) -> int:
        failures = 0
        while True:
            try:
                return await self.inbox.receive(body)
            except Exception as exc:  # the database is away: the update is only here now
                failures += 1
                wait = backoff(failures, self.max_backoff)
                log.warning("%s: a received update not stored yet (%s); again in %.1fs",
                            self.inbox.channel, type(exc).__name__, wait)
                await asyncio.sleep(wait)
