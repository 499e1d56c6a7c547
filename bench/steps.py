"""Our peer for the conversation benchmarks: the bot with its full inbound path (dedupe, draft,
answers, outbox, commit), fed Telegram updates through aiogram's ``Dispatcher.feed_update`` with
a fake session that records sends, and chats enrolled as chairs. The measuring is in
``bench/interleaved.py`` (against the aiogram peers) and ``bench/sizes.py`` (against itself
with years of data stored).
"""

from __future__ import annotations

from aiogram import Bot

from bench.fakes import TOKEN, bench_bot
from bot.app import App, build_app
from bot.channels.console import NAME as CONSOLE
from bot.channels.telegram.channel import TelegramChannel
from bot.clock import SystemClock
from bot.config import Settings
from handlers.people.demo import seed_demo
from storage.database import create_engine
from storage.migrate import upgrade

USER_BASE = 800_000_000


async def ours(url: str, chats: int) -> tuple[App, TelegramChannel, Bot]:
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    bot, _ = bench_bot()
    settings = Settings(database_url=url, telegram={"token": TOKEN},
                        _env_file=None)  # type: ignore[call-arg]
    app = build_app(settings, clock=SystemClock(), telegram_bot=bot)
    assert app.telegram is not None
    await enrol_chairs(app, chats)
    return app, app.telegram, bot


async def enrol_chairs(app: App, chats: int) -> None:
    """The demo tree, and ``chats`` Telegram users as chairs of its first CĐCS."""
    now = app.clock.now()
    async with app.uows() as uow:
        await seed_demo(uow, now, channel=CONSOLE)
        unit = await uow.units.by_code("DEMO_CS1")
        assert unit is not None
        for n in range(chats):
            uid = str(USER_BASE + n)
            identity = await uow.identities.get_or_create("telegram", uid, uid, "B", now)
            await uow.memberships.add(identity.person_id, unit.id, "chair", None, now)
        await uow.commit()
