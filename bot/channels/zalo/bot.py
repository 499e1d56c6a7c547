"""One configured Zalo bot as a channel adapter: its client, sender, inbox, quota and
how updates arrive (polling or a webhook)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from bot.channels.base import Capabilities, OutboundMessage, Runner, SendResult
from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import MAX_TEXT, ZaloApiError, ZaloClient, ZaloNetworkError
from bot.channels.zalo.inbox import ZaloInbox
from bot.channels.zalo.polling import ZaloPolling
from bot.channels.zalo.webhook import ZaloWebhook
from bot.config import ZaloBotSettings
from bot.quota import MonthlyQuota
from bot.ratelimit import Limits

log = logging.getLogger(__name__)

# Zalo's bot platform: plain text up to 2,000 characters, no buttons, no edits, no files out;
# it delivers photos to a bot, files and voice come as "unsupported" or not at all
# (openclaw's Zalo channel, docs/channels/zalo.md: no reply for files or voice).
CAPABILITIES = Capabilities(title="Zalo", max_text=MAX_TEXT, photo_urls=True,
                            opens_links=True,
                            attachments_in=frozenset({"photo"}))


@dataclass
class ZaloBot:
    """One configured Zalo bot and the parts that run it."""

    settings: ZaloBotSettings
    client: ZaloClient
    channel: ZaloChannel
    inbox: ZaloInbox
    quota: MonthlyQuota
    polling: ZaloPolling | None = None
    webhook: ZaloWebhook | None = None
    webhook_url: str | None = None
    webhook_secret: str = field(default="", repr=False)
    # What getMe said of the token at start-up: unchecked, ok, or refused with the code.
    token_state: str = "unchecked"
    capabilities: Capabilities = CAPABILITIES

    @property
    def name(self) -> str:
        return self.channel.name

    @property
    def limits(self) -> Limits:
        return self.channel.limits

    def parts(self, message: OutboundMessage) -> int:
        return self.channel.parts(message)

    async def send(self, address: str, message: OutboundMessage) -> SendResult:
        return await self.channel.send(address, message)

    async def publish_menu(self) -> None:
        return None  # a Zalo bot has no commands menu: the help text lists the commands

    def start(self, runner: Runner) -> None:
        runner.until_done(f"Zalo {self.settings.name} getMe", self.check_token)
        runner.forever(self.inbox.run)
        if self.webhook is not None:
            runner.until_done(f"Zalo {self.settings.name} setWebhook", self.set_webhook)
        elif self.polling is not None:
            runner.forever(self.polling.run)

    async def stop(self) -> None:
        await self.inbox.close()

    async def close(self) -> None:
        await self.inbox.close()
        await self.channel.close()

    async def set_webhook(self) -> None:
        await self.client.set_webhook(self.webhook_url or "", self.webhook_secret)

    async def check_token(self, retry_every: float | None = 30.0) -> str:
        """getMe: ok, refused: <code>, or unreachable. At start-up a token Zalo refuses is
        reported at once (log, `tinhhinh status`, /healthz) instead of showing up later as
        silence; a network failure is retried every ``retry_every`` seconds (None: not)."""
        while True:
            try:
                await self.client.get_me()
                self.token_state = "ok"
            except ZaloApiError as exc:
                self.token_state = f"refused: {exc.code}"
                log.error("Zalo bot '%s': the token was refused (%s %s); check "
                          "TINHHINH_ZALO__TOKEN", self.settings.name, exc.code,
                          exc.description[:100])
            except ZaloNetworkError as exc:
                self.token_state = "unreachable"
                if retry_every is not None:
                    log.warning("Zalo bot '%s': getMe failed (%s); again in %.0fs",
                                self.settings.name, exc, retry_every)
                    await asyncio.sleep(retry_every)
                    continue
            return self.token_state
