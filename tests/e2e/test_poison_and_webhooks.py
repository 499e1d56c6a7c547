"""g and 7. Telegram and Zalo webhooks in one service; JSON nested thousands deep refused on
both routes; a name holding U+0000 on PostgreSQL; an update that cannot be applied is set
aside with its reason, its sender told, and the updates behind it answered."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import aiohttp
from sqlalchemy import select

from bot.app import build_app
from bot.channels.base import Handled, InboundEvent
from bot.config import Settings
from storage.models import ChannelIdentity, InboundUpdate
from tests.e2e.conftest import running, telegram_app
from tests.e2e.peer import Peer, TgUser, eventually
from tests.e2e.test_zalo import serving
from tests.e2e.zalo_peer import ZaloPeer, ZaloUser

TG_SECRET = "telegram-secret-0123456789"
ZALO_SECRET = "zalo-secret-0123"
GUEST = TgUser(5601, "Khách Telegram")
NESTED = "[" * 5000 + "]" * 5000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_telegram_and_zalo_webhooks_run_together_and_refuse_nested_json(
    db_url: str, peer: Peer, zalo_peer: ZaloPeer, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    zalo_token = zalo_peer.add_bot()
    settings = Settings(
        database_url=db_url, media_dir=tmp_path / "media",
        telegram={"token": peer.token, "api_base": peer.api_base, "mode": "webhook",
                  "webhook_url": f"{base}/tg/hook", "webhook_secret": TG_SECRET},
        zalo={"token": zalo_token, "api_base": zalo_peer.base, "mode": "webhook",
              "webhook_url": f"{base}/zalo", "webhook_secret": ZALO_SECRET,
              "chat_interval_seconds": 0, "per_second": 30},
        http={"host": "127.0.0.1", "port": port},
        _env_file=None,  # type: ignore[call-arg]
    )
    app = build_app(settings)
    zalo_user = ZaloUser("ab12cd34ef56ab12cd34", "Khách Zalo")
    try:
        async with serving(app):
            # Both setWebhook calls succeed, each with its own bot's secret.
            hook = await eventually(peer.webhook, bool, "Telegram's webhook")
            assert hook == {"url": f"{base}/tg/hook", "secret_token": TG_SECRET}
            assert [c["status"] for c in await peer.calls("setWebhook")] == [200]
            zbot = zalo_peer.bots[zalo_token]

            async def zalo_hook() -> str:
                return zbot.webhook_url

            await eventually(zalo_hook, bool, "Zalo's webhook")
            assert (zbot.webhook_url, zbot.webhook_secret) == (f"{base}/zalo/main",
                                                               ZALO_SECRET)
            # Each messenger's update comes in through its route and is answered.
            await peer.text(GUEST, "/start")
            await peer.wait_chat(GUEST.id, lambda ms: bool(ms) and "mã mời" in ms[0]["text"])
            await zalo_peer.says(zalo_token, zalo_user, "alo")
            await zalo_peer.wait_sent(zalo_token, zalo_user.id, 1)
            # JSON nested 5,000 deep: 400 on both routes, and both go on working.
            async with aiohttp.ClientSession() as http:
                for path, header, secret in (
                        ("/tg/hook", "X-Telegram-Bot-Api-Secret-Token", TG_SECRET),
                        ("/zalo/main", "X-Bot-Api-Secret-Token", ZALO_SECRET)):
                    async with http.post(base + path, data=NESTED, headers={
                            header: secret, "Content-Type": "application/json"}) as resp:
                        assert resp.status == 400
                async with http.get(base + "/healthz") as resp:
                    health = await resp.json()
            assert resp.status == 200 and health["ok"] is True
            assert health["tokens"] == {"zalo": "ok"}
            await zalo_peer.says(zalo_token, zalo_user, "alo lần hai")
            await zalo_peer.wait_sent(zalo_token, zalo_user.id, 2)
    finally:
        await app.close()


# -- a name PostgreSQL cannot store, and an update nothing can apply ------------------------
NUL_NAME = TgUser(5701, "Nguyễn\u0000Văn A")
OTHER = TgUser(5702, "Lò Thị Hoa")
POISON = TgUser(5703, "Người gửi lỗi")


async def test_a_nul_in_a_name_on_postgres_stops_nobody(pg_db_url: str, peer: Peer) -> None:
    app = telegram_app(pg_db_url, peer)
    try:
        async with running(app):
            await peer.text(NUL_NAME, "/start")
            await peer.text(OTHER, "/start")
            for user in (NUL_NAME, OTHER):
                await peer.wait_chat(user.id, lambda ms: bool(ms) and "mã mời" in ms[0]["text"])
        async with app.uows() as uow:
            names = {i.external_id: i.display_name for i in (await uow.session.scalars(
                select(ChannelIdentity))).all()}
        assert names[str(NUL_NAME.id)] == "Nguyễn Văn A"
        assert names[str(OTHER.id)] == OTHER.first_name
    finally:
        await app.close()


async def test_an_update_that_cannot_be_applied_is_set_aside_and_the_rest_answered(
    db_url: str, peer: Peer
) -> None:
    app = telegram_app(db_url, peer)
    # What cannot be reproduced here any more (the NUL above is now cleaned): an update that
    # fails every time while the database works. Everything else goes the normal way.
    original = app.inbound._apply

    async def failing(event: InboundEvent, *, fail: bool) -> Handled:
        if event.sender_id == str(POISON.id):
            raise RuntimeError("cannot apply this one")
        return await original(event, fail=fail)

    app.inbound._apply = failing  # type: ignore[method-assign]
    try:
        async with running(app):
            await peer.text(POISON, "/start")
            await peer.text(OTHER, "/start")
            told = await peer.wait_chat(POISON.id, lambda ms: bool(ms))
            await peer.wait_chat(OTHER.id, lambda ms: bool(ms) and "mã mời" in ms[0]["text"])
            await peer.text(OTHER, "/trogiup")
            await peer.wait_chat(OTHER.id, lambda ms: len(ms) >= 2)
        assert told[0]["text"].startswith("Xin lỗi, bot không xử lý được tin nhắn vừa gửi.")
        async with app.uows() as uow:
            [kept] = (await uow.session.scalars(select(InboundUpdate))).all()
        assert (kept.channel, kept.status, kept.chat_id) == ("telegram", "failed",
                                                            str(POISON.id))
        assert kept.reason == "RuntimeError: cannot apply this one"
        assert json.loads(kept.body)["message"]["text"] == "/start"
        # Polling moved on: the peer holds nothing unconfirmed for the bot.
        calls = await peer.calls("getUpdates")
        assert calls and calls[-1]["status"] == 200
    finally:
        await app.close()
