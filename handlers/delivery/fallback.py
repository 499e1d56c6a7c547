"""Sending through a person's other messenger when one cannot deliver.

A chair with both Telegram and Zalo linked still gets an alert when the Zalo bot has spent
its monthly quota or Telegram refuses them (blocked bot): the message is queued again for
their other account. The payload records which accounts were tried, so a message never
circles between two accounts that both fail; with none left it is parked (quota) or dead.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from storage.uow import UnitOfWork

TRIED = "tried"  # in an outbox payload: identity ids already tried


class Fallback:
    def __init__(self, channels: Collection[str]) -> None:
        # The running channels (a live view: channels are added while the app is built).
        self.channels = channels

    async def reroute(self, uow: UnitOfWork, message_id: int, now: datetime) -> bool:
        """Queue the message for the person's next reachable account; False if none."""
        row = await uow.outbox.get(message_id)
        if row is None or row.identity_id is None:
            return False  # a message to a chat that is no one's account goes nowhere else
        identity = await uow.identities.get(row.identity_id)
        if identity is None:
            return False
        tried = [*row.payload.get(TRIED, []), identity.id]
        others = await uow.identities.others_reachable(
            identity.person_id, sorted(self.channels), tried
        )
        if not others:
            return False
        target = others[0]
        payload = {**row.payload, TRIED: tried}
        if payload.get("owner"):
            payload["owner"] = target.external_id  # the buttons belong to the new account
        return await uow.outbox.reroute(
            message_id, identity_id=target.id, channel=target.channel,
            address=target.address, payload=payload, now=now,
        )
