"""The running service: channels, the HTTP server, the delivery worker and the fire poller."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable

from bot.app import App
from bot.backoff import backoff
from scheduler.jobs import BotScheduler

log = logging.getLogger(__name__)

# SIGTERM to exit: parts get this long to stop (a send in progress finishes, queued rows are
# handed back unsent); `tinhhinh run` then closes the database and returns.
SHUTDOWN_SECONDS = 3.0


async def _until_done(what: str, action: Callable[[], Awaitable[object]]) -> None:
    """Start-up calls to a messenger retry until they succeed: the network may be down."""
    failures = 0
    while True:
        try:
            await action()
            return
        except Exception as exc:
            failures += 1
            wait = backoff(failures, 60.0, base=1.0)
            log.warning("%s failed (%s); again in %.0fs", what, type(exc).__name__, wait)
            await asyncio.sleep(wait)


def freeze_startup_heap() -> None:
    """Keep the objects built at start-up out of every later garbage collection.

    Imports and the app leave some 300,000 long-lived objects (aiogram's types alone are many);
    a full collection walks them all and stalls the event loop for about 200 ms on a small
    machine, which showed as the slowest steps under load (bench/README.md). They live as long
    as the process, so they are collected once and frozen.
    """
    gc.collect()
    gc.freeze()


async def serve(app: App, stop: asyncio.Event, ready: Callable[[], None] = lambda: None) -> None:
    """Run until ``stop`` is set or a part fails; then shut down in order, within
    ``SHUTDOWN_SECONDS`` (a part that will not stop is logged and left behind)."""
    startup: list[asyncio.Task[object]] = []  # one-shot calls that retry until done
    tasks: list[asyncio.Task[object]] = []  # the parts that run until shutdown
    await app.http.start()
    _start_telegram(app, startup, tasks)
    _start_zalo(app, startup, tasks)
    tasks.append(asyncio.create_task(app.delivery.run_forever()))
    startup.append(asyncio.create_task(_until_done("calendar planning", app.start_timers)))
    scheduler = BotScheduler(app.fires, app.settings.fire_poll_seconds)
    scheduler.start()
    app.scheduler = scheduler
    freeze_startup_heap()
    ready()
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopper and not task.cancelled() and task.exception():
                log.error("a service part stopped: %r", task.exception())
    finally:
        scheduler.shutdown()
        stopper.cancel()
        parts = startup + tasks
        for task in parts:
            task.cancel()
        _, stuck = await asyncio.wait(parts, timeout=SHUTDOWN_SECONDS) if parts else ((), ())
        if stuck:
            log.error("%d service parts did not stop in %.0fs", len(stuck), SHUTDOWN_SECONDS)
        for zalo in app.zalo:
            await zalo.inbox.close()
        await app.http.stop()


def _start_telegram(app: App, startup: list[asyncio.Task[object]],
                    tasks: list[asyncio.Task[object]]) -> None:
    tg = app.telegram
    if tg is None:
        return
    startup.append(asyncio.create_task(_until_done("setMyCommands", tg.publish_menu)))
    if app.telegram_webhook is not None:
        settings = app.settings.telegram
        # Bound here, not read from a variable of the caller later: with Zalo's webhook in
        # the same service, a late-bound name once handed Telegram the Zalo bot's secret.
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
        url = settings.webhook_url or ""

        async def set_webhook() -> None:
            from bot.channels.telegram.channel import ALLOWED_UPDATES

            await tg.bot.set_webhook(url=url, secret_token=secret,
                                     allowed_updates=list(ALLOWED_UPDATES),
                                     drop_pending_updates=False)

        startup.append(asyncio.create_task(_until_done("setWebhook", set_webhook)))
    elif app.telegram_polling is not None:
        tasks.append(asyncio.create_task(app.telegram_polling.run()))


def _start_zalo(app: App, startup: list[asyncio.Task[object]],
                tasks: list[asyncio.Task[object]]) -> None:
    for zalo in app.zalo:
        startup.append(asyncio.create_task(zalo.check_token()))
        tasks.append(asyncio.create_task(zalo.inbox.run()))
        if zalo.webhook is not None:
            startup.append(asyncio.create_task(_until_done(
                f"Zalo {zalo.settings.name} setWebhook", zalo.set_webhook)))
        elif zalo.polling is not None:
            tasks.append(asyncio.create_task(zalo.polling.run()))
