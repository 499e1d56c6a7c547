"""The composition root: the one place where the bot's objects are built and wired."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot import logredact
from bot.channels.base import Channel
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.delivery import DeliveryWorker
from bot.engine.conversation import Engine, EngineConfig
from bot.forms import FormCatalog, load_catalog
from bot.http_server import HttpServer
from bot.i18n import Translator
from bot.ratelimit import Rates, TokenBuckets, telegram_is_group
from handlers.dispatch import Dispatcher
from handlers.drafts import DraftTimers
from handlers.enrolment import Enrolment
from handlers.history import History
from handlers.inbound import InboundHandler
from handlers.reachability import Reachability
from handlers.render import Renderer
from handlers.reports import ReportFlow
from scheduler.fire_poller import FirePoller
from storage.database import create_engine, session_factory
from storage.uow import UnitOfWorkFactory

if TYPE_CHECKING:  # aiogram takes seconds to import: only when Telegram is configured
    from aiogram import Bot

    from bot.channels.telegram.channel import TelegramChannel
    from bot.channels.telegram.polling import TelegramPolling
    from bot.channels.telegram.webhook import TelegramWebhook


@dataclass
class App:
    settings: Settings
    clock: Clock
    db: AsyncEngine
    uows: UnitOfWorkFactory
    catalog: FormCatalog
    translator: Translator
    engine: Engine
    tz: ZoneInfo
    inbound: InboundHandler
    delivery: DeliveryWorker
    fires: FirePoller
    http: HttpServer
    channels: dict[str, Channel] = field(default_factory=dict)
    telegram: TelegramChannel | None = None
    telegram_polling: TelegramPolling | None = None
    telegram_webhook: TelegramWebhook | None = None

    async def close(self) -> None:
        if self.telegram is not None:
            await self.telegram.close()
        await self.db.dispose()


def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    channels: Mapping[str, Channel] | None = None,
    telegram_bot: Bot | None = None,
) -> App:
    """``telegram_bot`` replaces the Bot built from settings (benchmarks use a fake session)."""
    clock = clock or SystemClock()
    logredact.install([
        s.get_secret_value() if s else None
        for s in (settings.telegram.token, settings.telegram.webhook_secret,
                  settings.zalo.token, settings.zalo.webhook_secret)
    ])
    tz = ZoneInfo(settings.timezone)
    catalog = load_catalog()  # a broken form stops start-up here, naming file and field
    translator = Translator.load(default=settings.default_language)
    engine = Engine(
        catalog.forms,
        catalog.common,
        EngineConfig(
            nudge_after=settings.drafts.nudge_after,
            expiry=settings.drafts.expiry,
            max_attachment_bytes=settings.attachments.max_bytes,
        ),
    )
    db = create_engine(settings.database_url)
    uows = UnitOfWorkFactory(session_factory(db))
    renderer = Renderer(translator, engine, tz)
    flow = ReportFlow(engine, renderer)
    dispatcher = Dispatcher(
        catalog,
        flow,
        Enrolment(settings.enrolment.wrong_codes_per_hour),
        History(engine, renderer),
    )
    channel_map: dict[str, Channel] = dict(channels or {})
    reachability = Reachability(translator, settings.default_language)
    delivery = DeliveryWorker(uows, channel_map, clock, on_refused=reachability.refused)
    inbound = InboundHandler(
        uows, clock, dispatcher, translator, tz, settings.default_language, delivery.wake
    )
    timers = DraftTimers(flow, translator, tz, settings.default_language)
    fires = FirePoller(
        uows,
        clock,
        {"draft.nudge": timers.nudge, "draft.expire": timers.expire},
        on_commit=delivery.wake,
    )
    http = HttpServer(settings.http.host, settings.http.port)
    telegram = polling = webhook = None
    tg = settings.telegram
    if tg.token is not None and "telegram" not in channel_map:
        from bot.channels.telegram.channel import TelegramChannel, make_bot
        from bot.channels.telegram.polling import TelegramPolling
        from bot.channels.telegram.webhook import TelegramWebhook

        bot = telegram_bot or make_bot(tg.token.get_secret_value(), tg.api_base)
        rates = Rates(overall_per_second=tg.overall_per_second,
                      chat_interval=tg.chat_interval_seconds,
                      group_per_minute=tg.group_per_minute)
        telegram = TelegramChannel(
            bot, inbound, TokenBuckets(rates, telegram_is_group), translator,
            settings.default_language, catalog.menu,
        )
        channel_map["telegram"] = telegram
        if tg.mode == "webhook":
            secret = tg.webhook_secret.get_secret_value() if tg.webhook_secret else ""
            webhook = TelegramWebhook(bot, telegram.feed, secret)
            http.add_post(tg.webhook_path, webhook.handle)
        else:
            polling = TelegramPolling(bot, telegram.feed, timeout=tg.poll_timeout)
    return App(
        settings=settings,
        clock=clock,
        db=db,
        uows=uows,
        catalog=catalog,
        translator=translator,
        engine=engine,
        tz=tz,
        inbound=inbound,
        delivery=delivery,
        fires=fires,
        http=http,
        channels=channel_map,
        telegram=telegram,
        telegram_polling=polling,
        telegram_webhook=webhook,
    )
