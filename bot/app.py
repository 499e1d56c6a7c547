"""The composition root: the one place where the bot's objects are built and wired."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.base import Channel
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.delivery import DeliveryWorker
from bot.engine.conversation import Engine, EngineConfig
from bot.forms import FormCatalog, load_catalog
from bot.i18n import Translator
from handlers.dispatch import Dispatcher
from handlers.drafts import DraftTimers
from handlers.enrolment import Enrolment
from handlers.history import History
from handlers.inbound import InboundHandler
from handlers.render import Renderer
from handlers.reports import ReportFlow
from scheduler.fire_poller import FirePoller
from storage.database import create_engine, session_factory
from storage.uow import UnitOfWorkFactory


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
    channels: dict[str, Channel] = field(default_factory=dict)

    async def close(self) -> None:
        await self.db.dispose()


def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    channels: Mapping[str, Channel] | None = None,
) -> App:
    clock = clock or SystemClock()
    tz = ZoneInfo(settings.timezone)
    catalog = load_catalog()  # a broken form stops start-up here, naming file and field
    translator = Translator.load(default=settings.default_language)
    engine = Engine(
        catalog.forms,
        catalog.common,
        EngineConfig(
            nudge_after=settings.drafts.nudge_after, expiry=settings.drafts.expiry
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
    delivery = DeliveryWorker(uows, channel_map, clock)
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
        channels=channel_map,
    )
