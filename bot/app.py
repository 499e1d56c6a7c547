"""The composition root: the one place where the bot's objects are built and wired."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot import logredact
from bot.channels.base import ChannelAdapter, Channels
from bot.channels.zalo.bot import ZaloBot
from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.inbox import ZaloInbox
from bot.channels.zalo.polling import ZaloPolling
from bot.channels.zalo.webhook import ZaloWebhook
from bot.clock import Clock, SystemClock
from bot.config import Settings, ZaloBotSettings
from bot.delivery import DeliveryWorker
from bot.engine.conversation import Engine, EngineConfig
from bot.forms import FormCatalog, load_catalog, shipped_surveys
from bot.http_server import HttpServer
from bot.i18n import Translator
from bot.policy import Policy, load_policy
from bot.quota import Budget, MonthlyQuota
from bot.ratelimit import Rates, TokenBuckets, telegram_is_group
from bot.web import api as api_routes
from bot.web import api_tokens
from bot.web import directives as directive_pages
from bot.web import roster as roster_pages
from bot.web import surveys as survey_pages
from bot.web import workplace as workplace_pages
from bot.web.media import MediaStore
from bot.web.signing import Signer
from bot.web.site import WebLimits, WebSite
from bot.web.views import DraftViews
from handlers.api.reading import ApiReading
from handlers.api.tokens import ApiTokens
from handlers.calendar.overdue import OverdueDesk
from handlers.calendar.periodic import ObligationMet, PeriodicDesk
from handlers.calendar.periods import PeriodTexts
from handlers.calendar.plan import PLAN, CalendarPlanner
from handlers.calendar.plan import STEP as CALENDAR_STEP
from handlers.calendar.plan import arm as arm_calendar
from handlers.conversation.dispatch import Dispatcher
from handlers.conversation.drafts import DraftTimers
from handlers.conversation.inbound import InboundHandler
from handlers.conversation.reply_codes import ReplyCodeGrammar
from handlers.delivery.admins import AdminNotices
from handlers.delivery.fallback import Fallback
from handlers.delivery.reachability import Reachability
from handlers.delivery.retention import SWEEP as RETENTION_SWEEP
from handlers.delivery.retention import RetentionPolicy, Sweeper
from handlers.delivery.retention import arm as arm_retention
from handlers.delivery.status import QuotaPlan, snapshot
from handlers.directives.answers import Answers
from handlers.directives.desk import DirectiveDesk
from handlers.directives.members import MemberPages
from handlers.directives.messages import DirectiveTexts
from handlers.directives.publishing import STEP as DIRECTIVE_STEP
from handlers.directives.publishing import Publishing
from handlers.directives.reminders import DirectiveReminders
from handlers.directives.viewing import DirectiveViewing
from handlers.exports.desk import BUILD as EXPORT_BUILD
from handlers.exports.desk import ExportDesk
from handlers.exports.workbook import WorkbookWriter
from handlers.figures.digest import SEND as DIGEST_SEND
from handlers.figures.digest import WEEK as DIGEST_WEEK
from handlers.figures.digest import WeeklyDigest
from handlers.figures.digest import arm as arm_digest
from handlers.figures.stats import StatsDesk
from handlers.figures.text import FiguresText
from handlers.incidents.alerts import Notifier
from handlers.incidents.desk import NOTE_PENDING, IncidentDesk
from handlers.incidents.escalation import STEP, UNRESOLVED, Escalation, IncidentOpened
from handlers.people.enrolment import BotScope, Enrolment
from handlers.people.linking import Linking
from handlers.people.roster import Roster
from handlers.people.web_access import WebAccess, WebSettings
from handlers.reports.flow import ReportFlow
from handlers.reports.history import History
from handlers.reports.page import FormPages
from handlers.reports.render import Renderer
from handlers.reports.viewing import ReportViews
from handlers.surveys.answering import SurveyPages
from handlers.surveys.campaigns import CLOSE as SURVEY_CLOSE
from handlers.surveys.campaigns import REMIND as SURVEY_REMIND
from handlers.surveys.campaigns import Campaigns
from handlers.surveys.chat import SurveyChat
from handlers.surveys.export import SurveyExport
from handlers.surveys.forms import FormImport
from handlers.surveys.results import SurveyResultsDesk
from handlers.workplace.hotspots import Hotspots
from handlers.workplace.ledger import Ledger
from handlers.workplace.overview import Overview
from handlers.workplace.reports import ReportList
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
    # Every running messenger, Telegram, each Zalo bot, the console: one list, one contract.
    channels: Channels = field(default_factory=Channels)
    telegram: TelegramChannel | None = None  # the same adapter, typed (tests, benchmarks)
    dispatcher: Dispatcher | None = None
    escalation: Escalation | None = None
    calendar: CalendarPlanner | None = None
    digest: WeeklyDigest | None = None
    workbook: WorkbookWriter | None = None
    # Set while the service runs (bot.service.serve).
    scheduler: BotScheduler | None = None
    web: WebSite | None = None
    directives: directive_pages.DirectiveUseCases | None = None
    forms: FormImport | None = None
    surveys: survey_pages.SurveyUseCases | None = None

    async def start_http(self) -> int:
        """The one HTTP server (webhooks, /healthz, the web pages), its signing key loaded."""
        if self.web is not None:
            await self.web.prepare()
        return await self.http.start()

    @property
    def telegram_polling(self) -> TelegramPolling | None:
        return self.telegram.polling if self.telegram is not None else None

    @property
    def zalo(self) -> list[ZaloBot]:
        return [a for a in self.channels.values() if isinstance(a, ZaloBot)]

    async def start_timers(self) -> None:
        """At start-up: plan the reporting calendar at the next poll (a changed policy or org
        tree takes effect now, not at midnight); the imported survey forms join the engine's
        (a survey draft left open in the chat goes on after a restart)."""
        if self.surveys is not None:
            async with self.uows() as uow:
                for stored in await uow.forms.current():
                    engine = await self.surveys.pages.engine(uow, stored.form_id,
                                                             stored.version)
                    if engine is not None and stored.form_id not in self.catalog.forms:
                        self.catalog.forms[stored.form_id] = engine.forms[stored.form_id]
        async with self.uows() as uow:
            await arm_calendar(uow, self.clock.now())
            await arm_digest(uow, self.policy.digest, self.tz, self.clock.now())
            await arm_retention(uow, self.clock.now())
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
            checks[self.telegram.name] = self.telegram.check_token
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
        for adapter in self.channels.values():
            await adapter.close()
        await self.db.dispose()


def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    channels: Iterable[ChannelAdapter] | None = None,
    telegram_bot: Bot | None = None,
) -> App:
    """``telegram_bot`` replaces the Bot built from settings (benchmarks use a fake session)."""
    clock = clock or SystemClock()
    adapters = Channels()  # filled below; use cases read capabilities from it
    for given in channels or ():
        adapters.add(given.name, given)  # replacing a configured messenger (tests)
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
    http = HttpServer(settings.http.host, settings.http.port,
                      max_body=settings.attachments.max_bytes + 1024 * 1024)
    hs = settings.http

    def base_url() -> str | None:
        return hs.base_url(http.port, messengers=settings.has_messenger)

    access = WebAccess(WebSettings(base_url, hs.sign_in_minutes, hs.message_link_hours,
                                   hs.session_days, hs.sign_in_links_per_hour))
    signer = Signer(base_url, timedelta(hours=hs.media_link_hours), lambda: hs.public_url)
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
        Linking(settings.link_code_minutes, settings.enrolment.wrong_codes_per_hour, codes,
                adapters),
        codes,
    )
    admins = AdminNotices(translator, settings.default_language)
    notifier = Notifier(translator, renderer, codes, catalog.forms, tz, settings.default_language,
                        media_url=signer.public, web=access.available)
    escalation = Escalation(policy, notifier, admins)
    # What a stored report brings about, in the order its messages read: the incident first.
    flow.on_stored(escalation.hot_spots, IncidentOpened, escalation.open)
    desk = IncidentDesk(escalation, notifier, dispatcher.asking.ask_text)
    dispatcher.add_actions(desk.actions, "officials")
    dispatcher.add_actions(desk.chair_actions, "chairs")
    dispatcher.add_command("hotspots", desk.command)
    dispatcher.asking.text_answers.add(NOTE_PENDING, desk.note_text)
    calendar = CalendarPlanner(policy, texts, translator, codes,
                               [c.key for c in catalog.languages], settings.default_language,
                               links=access.available)
    flow.phone_link = access.available
    dispatcher.add_commands({"web": access.command})
    periodic = PeriodicDesk(flow, texts, dispatcher.asking.ask_choice)
    flow.on_stored(periodic.obligations, ObligationMet, periodic.file)
    dispatcher.add_actions(periodic.actions, "chairs")
    dispatcher.add_commands(periodic.commands, answer_in_draft=frozenset({"nil"}))
    # Reports' forms (a directive's or a dissemination's form files no report).
    report_forms = {k: f for k, f in catalog.forms.items() if f.becomes == "report"}
    words = FiguresText(report_forms, texts, policy.digest.open_incident_hours,
                        policy.digest.enrolment_target, policy.directives)
    dispatcher.add_commands({"overdue": OverdueDesk(texts).show,
                             "stats": StatsDesk(policy.digest, words).show})
    digest = WeeklyDigest(policy.digest, words, translator, tz, settings.default_language,
                          adapters)
    answers = Answers(flow, tz)
    workbook = WorkbookWriter(report_forms, texts, translator, tz, settings.default_language,
                              answers.methods)
    exports = ExportDesk(workbook, dispatcher.asking.ask_choice, translator,
                         settings.default_language, adapters)
    dispatcher.add_command("export", exports.command)
    directive_texts = DirectiveTexts(translator, codes, [c.key for c in catalog.languages])
    publishing = Publishing(directive_texts, policy.directives, tz, settings.default_language,
                            base_url, settings.attachments.max_bytes)
    flow.submitters.add("dissemination", answers.submitted)
    dispatcher.add_actions(answers.actions, "chairs")
    directive_desk = DirectiveDesk(flow, publishing, directive_texts, policy.directives,
                                   dispatcher.asking.ask_choice)
    flow.submitters.add("directive", directive_desk.submitted)
    dispatcher.add_command("directive", directive_desk.command)
    for kind, question in (*exports.questions.items(), *periodic.questions.items(),
                           *directive_desk.questions.items()):
        dispatcher.asking.add_question(kind, question)
    reminders = DirectiveReminders(publishing, directive_texts, translator,
                                   settings.default_language)
    reachability = Reachability(translator, settings.default_language, adapters)
    budgets: dict[str, Budget] = {}
    delivery = DeliveryWorker(
        uows, adapters, clock, on_refused=reachability.refused,
        reroute=Fallback(adapters.keys()).reroute, budgets=budgets, links=access.for_message,
    )
    inbound = InboundHandler(
        uows, clock, dispatcher, translator, tz, settings.default_language, delivery.wake,
        channels=adapters,
    )
    timers = DraftTimers(flow, translator, tz, settings.default_language, adapters)
    rs = settings.retention
    sweeper = Sweeper(RetentionPolicy(timedelta(days=rs.events_days),
                                      timedelta(days=rs.outbox_days), rs.batch))
    form_import = FormImport(catalog.forms, catalog.common.yes_no)
    answering = SurveyPages(catalog.common)
    campaigns = Campaigns(form_import, shipped_surveys(), translator,
                          [c.key for c in catalog.languages], settings.default_language,
                          base_url, tz, (policy.directives.members_form,
                                         policy.directives.members_question))
    survey_results = SurveyResultsDesk(answering, policy.directives, tz)
    survey_chat = SurveyChat(flow, answering, catalog.forms, dispatcher.asking.ask_choice)
    flow.submitters.add("survey", survey_chat.submitted)
    dispatcher.add_commands({"survey": survey_chat.command})
    for kind, question in survey_chat.questions.items():
        dispatcher.asking.add_question(kind, question)
    dispatcher.check_vocabulary()
    flow.check_outcomes()
    fires = FirePoller(
        uows,
        clock,
        {"draft.nudge": timers.nudge, "draft.expire": timers.expire,
         STEP: escalation.on_step, UNRESOLVED: escalation.on_unresolved,
         PLAN: calendar.on_plan, CALENDAR_STEP: calendar.on_step,
         DIGEST_WEEK: digest.on_week, DIGEST_SEND: digest.on_send,
         EXPORT_BUILD: exports.on_build, RETENTION_SWEEP: sweeper.on_sweep,
         DIRECTIVE_STEP: reminders.on_step, SURVEY_REMIND: campaigns.on_remind,
         SURVEY_CLOSE: campaigns.on_close},
        on_commit=delivery.wake,
    )
    pages = FormPages(flow, periodic, translator, tz, settings.default_language, adapters)
    web_site = WebSite(
        uows=uows, clock=clock, access=access, pages=pages,
        reports=ReportViews(catalog.forms, renderer, translator, signer.path),
        views=DraftViews(translator, renderer, signer), media=MediaStore(settings.media_dir),
        signer=signer, translator=translator, default_language=settings.default_language,
        secure=hs.secure, on_commit=delivery.wake,
        limits=WebLimits(hs.requests_per_address, hs.posts_per_person, hs.sign_ins_per_address,
                         hs.member_reads_per_address),
        upload_mb=settings.attachments.max_mb)
    web_site.install(http.app)
    directive_cases = directive_pages.DirectiveUseCases(
        publishing, answers, DirectiveViewing(policy.directives), MemberPages())
    directive_pages.add(http.app, web_site, directive_cases)
    survey_cases = survey_pages.SurveyUseCases(
        campaigns, answering, survey_results, SurveyExport(survey_results, translator, tz))
    survey_pages.add(http.app, web_site, survey_cases)
    workplace_pages.add(http.app, web_site, workplace_pages.WorkplaceUseCases(
        Overview(policy.digest, words, translator, tz),
        Hotspots(desk, escalation, notifier, web_site.reports, translator),
        ReportList(report_forms, translator, tz), Ledger(texts, translator), exports,
        policy.rules.severities))
    api_tokens.add(http.app, web_site, ApiTokens())
    api_routes.add(http.app, uows, clock, ApiReading(report_forms),
                   per_token=hs.api_per_token, per_address=hs.api_per_address)
    roster_pages.add(http.app, web_site, Roster(
        policy.officials_manage, settings.enrolment.default_invite_days, policy.org_levels),
        roster_pages.Starting(settings.telegram.start_link,
                              tuple(b.title or b.name for b in zalo_bots)))
    telegram = None
    if settings.telegram.token is not None and "telegram" not in adapters:
        telegram = _telegram(settings, inbound, translator, catalog, http, telegram_bot)
        adapters.add(telegram.name, telegram)
    for bot_settings in zalo_bots:
        if bot_settings.channel in adapters:
            continue  # replaced by the caller (tests)
        zalo_bot = _zalo_bot(settings, bot_settings, inbound, admins, tz, uows, clock)
        adapters.add(zalo_bot.name, zalo_bot)
        budgets[zalo_bot.name] = zalo_bot.quota
        if zalo_bot.webhook is not None:
            http.add_post(settings.zalo.webhook_path(bot_settings), zalo_bot.webhook.handle)
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
        channels=adapters,
        telegram=telegram,
        dispatcher=dispatcher,
        escalation=escalation,
        calendar=calendar,
        digest=digest,
        workbook=workbook,
        web=web_site,
        directives=directive_cases,
        forms=form_import,
        surveys=survey_cases,
    )
    http.health = app.health
    return app


def _telegram(
    settings: Settings, inbound: InboundHandler, translator: Translator, catalog: FormCatalog,
    http: HttpServer, bot: Bot | None,
) -> TelegramChannel:
    """The Telegram adapter; aiogram is imported only when Telegram is configured."""
    from bot.channels.telegram.channel import TelegramChannel, make_bot
    from bot.channels.telegram.polling import TelegramPolling
    from bot.channels.telegram.webhook import TelegramWebhook

    tg = settings.telegram
    assert tg.token is not None
    bot = bot or make_bot(tg.token.get_secret_value(), tg.api_base)
    rates = Rates(overall_per_second=tg.overall_per_second,
                  chat_interval=tg.chat_interval_seconds,
                  group_per_minute=tg.group_per_minute)
    telegram = TelegramChannel(
        bot, inbound, TokenBuckets(rates, telegram_is_group), translator,
        settings.default_language, catalog.menu,
    )
    if tg.mode == "webhook":
        # Bound here from the Telegram settings: with Zalo's webhook in the same service, a
        # late-bound name once handed Telegram the Zalo bot's secret.
        telegram.webhook_secret = tg.webhook_secret.get_secret_value() if tg.webhook_secret \
            else ""
        telegram.webhook_url = tg.webhook_url or ""
        telegram.webhook = TelegramWebhook(bot, telegram.feed, telegram.webhook_secret)
        http.add_post(tg.webhook_path, telegram.webhook.handle)
    else:
        telegram.polling = TelegramPolling(bot, telegram.feed, timeout=tg.poll_timeout)
    return telegram


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
