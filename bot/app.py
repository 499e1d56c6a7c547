"""The composition root: the one place where the bot's objects are built and wired."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot import logredact
from bot.channels.base import Channel
from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloApiError, ZaloClient, ZaloNetworkError
from bot.channels.zalo.inbox import ZaloInbox
from bot.channels.zalo.polling import ZaloPolling
from bot.channels.zalo.webhook import ZaloWebhook
from bot.clock import Clock, SystemClock
from bot.config import Settings, ZaloBotSettings
from bot.delivery import DeliveryWorker
from bot.engine.conversation import Engine, EngineConfig
from bot.engine.form import ATTACHMENT_KINDS
from bot.forms import FormCatalog, load_catalog
from bot.http_server import HttpServer
from bot.i18n import Translator
from bot.policy import Policy, load_policy
from bot.quota import Budget, MonthlyQuota
from bot.ratelimit import Rates, TokenBuckets, telegram_is_group
from handlers.admins import AdminNotices
from handlers.calendar_plan import PLAN, CalendarPlanner
from handlers.calendar_plan import STEP as CALENDAR_STEP
from handlers.calendar_plan import arm as arm_calendar
from handlers.digest import SEND as DIGEST_SEND
from handlers.digest import WEEK as DIGEST_WEEK
from handlers.digest import WeeklyDigest
from handlers.digest import arm as arm_digest
from handlers.dispatch import Dispatcher
from handlers.drafts import DraftTimers
from handlers.enrolment import BotScope, Enrolment
from handlers.escalation import STEP, UNRESOLVED, Escalation
from handlers.export import BUILD as EXPORT_BUILD
from handlers.export import ExportDesk
from handlers.fallback import Fallback
from handlers.figures_text import FiguresText
from handlers.history import History
from handlers.inbound import InboundHandler
from handlers.incident_alerts import Notifier
from handlers.incidents import NOTE_PENDING, IncidentDesk
from handlers.linking import Linking
from handlers.overdue import OverdueDesk
from handlers.periodic import PeriodicDesk
from handlers.periods import PeriodTexts
from handlers.reachability import Reachability
from handlers.render import Renderer
from handlers.reply_codes import ReplyCodeGrammar
from handlers.reports import ReportFlow
from handlers.stats_desk import StatsDesk
from handlers.status import QuotaPlan, snapshot
from handlers.workbook import WorkbookWriter
from scheduler.fire_poller import FirePoller
from scheduler.jobs import BotScheduler
from storage.database import create_engine, session_factory
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

# How long `tinhhinh status` waits for a messenger's getMe.
TOKEN_CHECK_SECONDS = 15.0

if TYPE_CHECKING:  # aiogram takes seconds to import: only when Telegram is configured
    from aiogram import Bot

    from bot.channels.telegram.channel import TelegramChannel
    from bot.channels.telegram.polling import TelegramPolling
    from bot.channels.telegram.webhook import TelegramWebhook


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
    policy: Policy
    channels: dict[str, Channel] = field(default_factory=dict)
    telegram: TelegramChannel | None = None
    telegram_polling: TelegramPolling | None = None
    telegram_webhook: TelegramWebhook | None = None
    zalo: list[ZaloBot] = field(default_factory=list)
    dispatcher: Dispatcher | None = None
    escalation: Escalation | None = None
    calendar: CalendarPlanner | None = None
    digest: WeeklyDigest | None = None
    workbook: WorkbookWriter | None = None
    # Set while the service runs (bot.service.serve).
    scheduler: BotScheduler | None = None

    async def start_timers(self) -> None:
        """At start-up: plan the reporting calendar at the next poll (a changed policy or org
        tree takes effect now, not at midnight)."""
        async with self.uows() as uow:
            await arm_calendar(uow, self.clock.now())
            await arm_digest(uow, self.policy.digest, self.tz, self.clock.now())
            await uow.commit()

    def quota_plans(self) -> list[QuotaPlan]:
        """The quota-counted bots as configured, for this month (local time)."""
        now = self.clock.now()
        plans = []
        for z in self.zalo:
            q = z.settings.quota
            plans.append(QuotaPlan(z.settings.channel, z.quota.label, z.quota.month(now),
                                   q.monthly_messages, q.monthly_users, q.stranger_messages,
                                   q.stranger_users))
        return plans

    async def check_tokens(self) -> dict[str, str]:
        """Each messenger's answer to getMe now (`tinhhinh status`)."""
        checks: dict[str, Callable[[], Awaitable[str]]] = {}
        if self.telegram is not None:
            checks["telegram"] = self.telegram.check_token
        for z in self.zalo:
            checks[z.settings.channel] = functools.partial(z.check_token, retry_every=None)
        tokens: dict[str, str] = {}
        for name, check in checks.items():
            try:
                async with asyncio.timeout(TOKEN_CHECK_SECONDS):
                    tokens[name] = await check()
            except TimeoutError:
                tokens[name] = "unreachable"
        return tokens

    async def health(self) -> tuple[int, dict[str, Any]]:
        """/healthz: the same snapshot as `tinhhinh status`, with the service's token checks;
        503 while the database cannot be read."""
        try:
            async with self.uows() as uow:
                snap = await snapshot(uow, self.quota_plans())
        except Exception as exc:
            log.warning("health: the database cannot be read (%s)", type(exc).__name__)
            return 503, {"ok": False, "database": "unreachable"}
        tokens = {z.settings.channel: z.token_state for z in self.zalo}
        return 200, {"ok": True, **snap.to_json(tokens)}

    async def close(self) -> None:
        if self.telegram is not None:
            await self.telegram.close()
        for bot in self.zalo:
            await bot.inbox.close()
            await bot.channel.close()
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
    zalo_bots = settings.zalo.all_bots()
    logredact.install([
        s.get_secret_value() if s else None
        for s in (settings.telegram.token, settings.telegram.webhook_secret,
                  *(b.token for b in zalo_bots), *(b.webhook_secret for b in zalo_bots))
    ])
    tz = ZoneInfo(settings.timezone)
    catalog = load_catalog()  # a broken form stops start-up here, naming file and field
    policy = load_policy(catalog.forms, tz, settings.policy_file)  # likewise a bad policy
    missing = policy.years_without_holidays(clock.now().astimezone(tz).date())
    if missing:
        log.warning("the policy has no public holidays for %s: due dates and working hours "
                    "will not skip the lunar new year or other holidays there; add them under "
                    "working_hours.holidays (TINHHINH_POLICY_FILE)",
                    ", ".join(map(str, missing)))
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
    uows = UnitOfWorkFactory(session_factory(db), settings.sqlite_lock_wait_seconds)
    renderer = Renderer(translator, engine, tz)
    flow = ReportFlow(engine, renderer)
    texts = PeriodTexts(policy.periods, catalog.forms, tz)
    scopes = tuple(BotScope(b.channel, b.title or b.name, tuple(b.units)) for b in zalo_bots)
    codes = ReplyCodeGrammar.from_data(catalog.reply_codes)
    dispatcher = Dispatcher(
        catalog,
        flow,
        Enrolment(settings.enrolment.wrong_codes_per_hour, scopes),
        History(engine, renderer, texts),
        Linking(settings.link_code_minutes, settings.enrolment.wrong_codes_per_hour, codes),
        codes,
    )
    admins = AdminNotices(translator, settings.default_language)
    notifier = Notifier(translator, renderer, codes, catalog.forms, tz, settings.default_language)
    escalation = Escalation(policy, notifier, admins)
    flow.after_submit.append(escalation.open_for)
    desk = IncidentDesk(escalation, notifier, dispatcher.ask_text)
    dispatcher.reply_actions.update(desk.actions)
    dispatcher.command_handlers["hotspots"] = desk.hotspots
    dispatcher.text_answers[NOTE_PENDING] = desk.note_text
    calendar = CalendarPlanner(policy, texts, translator, codes,
                               [c.key for c in catalog.languages], settings.default_language)
    periodic = PeriodicDesk(flow, texts, dispatcher.ask_choice)
    flow.after_submit.append(periodic.after_submit)
    dispatcher.reply_actions.update(periodic.actions)
    dispatcher.chair_actions.update(periodic.actions)
    dispatcher.command_handlers.update(periodic.commands)
    dispatcher.command_handlers["overdue"] = OverdueDesk(texts).show
    words = FiguresText(catalog.forms, texts, policy.digest.open_incident_hours,
                        policy.digest.enrolment_target)
    dispatcher.command_handlers["stats"] = StatsDesk(policy.digest, words).show
    digest = WeeklyDigest(policy.digest, words, translator, tz, settings.default_language)
    workbook = WorkbookWriter(catalog.forms, texts, translator, tz, settings.default_language)
    exports = ExportDesk(workbook, dispatcher.ask_choice, translator, settings.default_language)
    dispatcher.arg_commands["export"] = exports.command
    dispatcher.questions.update(exports.questions)
    dispatcher.questions.update(periodic.questions)
    dispatcher.answer_in_draft.add("nil")
    channel_map: dict[str, Channel] = dict(channels or {})
    reachability = Reachability(translator, settings.default_language)
    budgets: dict[str, Budget] = {}
    delivery = DeliveryWorker(
        uows, channel_map, clock, on_refused=reachability.refused,
        reroute=Fallback(channel_map.keys()).reroute, budgets=budgets,
    )
    def inputs(channel: str) -> frozenset[str]:
        """The attachment kinds a channel delivers, as its adapter declares (all, unless it
        says otherwise: Zalo delivers photos only)."""
        adapter = channel_map.get(channel)
        return getattr(adapter, "attachments_in", ATTACHMENT_KINDS)

    inbound = InboundHandler(
        uows, clock, dispatcher, translator, tz, settings.default_language, delivery.wake,
        inputs=inputs,
    )
    timers = DraftTimers(flow, translator, tz, settings.default_language, inputs)
    fires = FirePoller(
        uows,
        clock,
        {"draft.nudge": timers.nudge, "draft.expire": timers.expire,
         STEP: escalation.on_step, UNRESOLVED: escalation.on_unresolved,
         PLAN: calendar.on_plan, CALENDAR_STEP: calendar.on_step,
         DIGEST_WEEK: digest.on_week, DIGEST_SEND: digest.on_send,
         EXPORT_BUILD: exports.on_build},
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
    zalo: list[ZaloBot] = []
    for bot_settings in zalo_bots:
        if bot_settings.channel in channel_map:
            continue  # replaced by the caller (tests)
        zalo_bot = _zalo_bot(settings, bot_settings, inbound, admins, tz, uows, clock)
        channel_map[bot_settings.channel] = zalo_bot.channel
        budgets[bot_settings.channel] = zalo_bot.quota
        if zalo_bot.webhook is not None:
            http.add_post(settings.zalo.webhook_path(bot_settings), zalo_bot.webhook.handle)
        zalo.append(zalo_bot)
    app = App(
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
        policy=policy,
        channels=channel_map,
        telegram=telegram,
        telegram_polling=polling,
        telegram_webhook=webhook,
        zalo=zalo,
        dispatcher=dispatcher,
        escalation=escalation,
        calendar=calendar,
        digest=digest,
        workbook=workbook,
    )
    http.health = app.health
    return app


def _zalo_bot(
    settings: Settings, bot: ZaloBotSettings, inbound: InboundHandler, admins: AdminNotices,
    tz: ZoneInfo, uows: UnitOfWorkFactory, clock: Clock,
) -> ZaloBot:
    zs = settings.zalo
    assert bot.token is not None
    client = ZaloClient(bot.token.get_secret_value(), zs.api_base)
    limits = TokenBuckets(Rates(overall_per_second=zs.per_second,
                                chat_interval=zs.chat_interval_seconds))
    channel = ZaloChannel(bot.channel, client, limits)
    inbox = ZaloInbox(bot.channel, client, inbound, uows, clock, settings.media_dir,
                      settings.attachments.max_bytes)
    quota = MonthlyQuota(bot.channel, bot.title or bot.name, bot.quota, tz, admins)
    zalo_bot = ZaloBot(bot, client, channel, inbox, quota)
    if zs.mode == "webhook":
        secret = bot.webhook_secret.get_secret_value() if bot.webhook_secret else ""
        zalo_bot.webhook = ZaloWebhook(inbox, secret)
        zalo_bot.webhook_url = f"{(zs.webhook_url or '').rstrip('/')}/{bot.name}"
        zalo_bot.webhook_secret = secret
    else:
        zalo_bot.polling = ZaloPolling(client, inbox, timeout=zs.poll_timeout)
    return zalo_bot
