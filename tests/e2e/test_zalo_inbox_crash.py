"""e. The durable Zalo inbox under kill -9 (SQLite and PostgreSQL): `tinhhinh run` polls the
Zalo peer while people write, and is killed again and again at random moments; every update
the peer handed out is applied after a restart (a processed-event row each), none twice. A
malformed update (a date out of range) is kept aside and the next message answered."""

from __future__ import annotations

import asyncio
import os
import random
import signal
from pathlib import Path

from sqlalchemy import select

from storage.database import create_engine, while_locked
from storage.models import InboundUpdate, ProcessedEvent
from tests.e2e.service_process import start_service
from tests.e2e.zalo_peer import ZaloPeer, ZaloUser

KILLS = 20
# Three people (a stranger share of the month's users is five: the sixth would get no answer).
PEOPLE = [ZaloUser(f"d{n:019d}", f"Người {n}") for n in range(3)]


Kept = tuple[str, str, str | None]  # event id, status, reason


async def read(url: str) -> tuple[list[str], list[Kept]]:
    """Applied event ids and the updates kept, read beside the running service."""
    engine = create_engine(url)

    async def query() -> tuple[list[str], list[Kept]]:
        async with engine.connect() as conn:
            applied = list((await conn.scalars(select(ProcessedEvent.event_id).where(
                ProcessedEvent.channel == "zalo"))).all())
            kept = [(e, s, r) for e, s, r in (await conn.execute(select(
                InboundUpdate.event_id, InboundUpdate.status, InboundUpdate.reason))).all()]
        return applied, kept

    try:
        return await while_locked(query)
    finally:
        await engine.dispose()


async def test_no_zalo_update_is_lost_over_twenty_kills(
    db_url: str, zalo_peer: ZaloPeer, tmp_path: Path
) -> None:
    token = zalo_peer.add_bot()
    env = {**os.environ, "TINHHINH_DATABASE_URL": db_url, "TINHHINH_ZALO__TOKEN": token,
           "TINHHINH_ZALO__API_BASE": zalo_peer.base, "TINHHINH_ZALO__POLL_TIMEOUT": "1",
           "TINHHINH_HTTP__PORT": "0"}
    env.pop("TINHHINH_TELEGRAM__TOKEN", None)
    bot = zalo_peer.bots[token]
    rng = random.Random(20261202)
    sent = 0
    odd = ZaloUser("e0000000000000000000", "Người gửi lạ")
    for round_ in range(KILLS):
        service = await start_service(env, tmp_path)
        # People write while the bot polls, stores and applies; it dies at a random moment.
        burst = [zalo_peer.says(token, rng.choice(PEOPLE), f"tin {sent + i}")
                 for i in range(rng.randint(8, 20))]
        if round_ == KILLS // 2:
            await zalo_peer.deliver(token, {"event_name": "message.text.received", "message": {
                "from": {"id": odd.id, "display_name": odd.display_name},
                "chat": {"id": odd.id, "chat_type": "PRIVATE"},
                "message_id": "malformed-date", "text": "ngày sai", "date": 10**20}})
            await zalo_peer.says(token, odd, "alo")
        sent += len(burst)
        for message in burst:
            await message
            await asyncio.sleep(rng.uniform(0, 0.02))
        await asyncio.sleep(rng.uniform(0.0, 0.4))
        service.send_signal(signal.SIGKILL)
        await service.wait()
    # The last run: it finishes what is stored and what the peer still holds.
    service = await start_service(env, tmp_path)
    try:
        for _ in range(600):
            applied, kept = await read(db_url)
            done = set(applied) | {k[0] for k in kept if k[1] == "malformed"}
            if not bot.updates and set(bot.handed_out) <= done and not [
                    k for k in kept if k[1] == "pending"]:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.5)  # a poll more: the last update handed out is confirmed
        applied, kept = await read(db_url)
    finally:
        service.send_signal(signal.SIGTERM)
        await asyncio.wait_for(service.wait(), 15)
    handed_out = set(bot.handed_out)
    # In doubt: the last update of each killed run, and any whose next poll came on another
    # connection (the client reconnected): not counted either way.
    in_doubt = set(bot.handed) - handed_out
    assert len(bot.handed) >= sent and len(handed_out) >= len(bot.handed) - 2 * KILLS
    # Not one update the bot received is lost (applied, or kept aside as malformed), and
    # none is applied twice.
    aside = {k[0] for k in kept if k[1] == "malformed"}
    assert sorted(handed_out - set(applied) - aside) == []
    assert len(applied) == len(set(applied))
    # The malformed update is kept aside with its reason; the message after it was answered.
    [(event_id, _, reason)] = [k for k in kept if k[0] in aside]
    assert event_id == "malformed-date"
    assert reason and reason.startswith(("ValueError", "OverflowError", "OSError"))
    assert zalo_peer.sent(token, odd.id)  # "alo" after it got the bot's answer
    print(f"{sent} messages, {len(bot.handed)} handed out, {len(in_doubt)} in doubt at a kill, "
          f"of which {len(in_doubt - set(applied))} not applied")
