"""The running service: channels, the HTTP server, the delivery worker and the fire poller."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable

from bot.app import App
from scheduler.jobs import BotScheduler

log = logging.getLogger(__name__)


async def _until_done(what: str, action: Callable[[], Awaitable[object]]) -> None:
    """Start-up calls to a messenger retry until they succeed: the network may be down."""
    wait = 1.0
    while True:
        try:
            await action()
            return
        except Exception as exc:
            log.warning("%s failed (%s); again in %.0fs", what, type(exc).__name__, wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, 60.0)


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
    """Run until ``stop`` is set or a part fails; then shut down in order."""
    startup: list[asyncio.Task[object]] = []  # one-shot calls that retry until done
    tasks: list[asyncio.Task[object]] = []  # the parts that run until shutdown
    await app.http.start()
    tg = app.telegram
    if tg is not None:
        startup.append(asyncio.create_task(_until_done("setMyCommands", tg.publish_menu)))
        if app.telegram_webhook is not None:
            settings = app.settings.telegram
            secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""

            async def set_webhook() -> None:
                from bot.channels.telegram.channel import ALLOWED_UPDATES

                await tg.bot.set_webhook(
                    url=settings.webhook_url or "", secret_token=secret,
                    allowed_updates=list(ALLOWED_UPDATES), drop_pending_updates=False,
                )

            startup.append(asyncio.create_task(_until_done("setWebhook", set_webhook)))
        elif app.telegram_polling is not None:
            tasks.append(asyncio.create_task(app.telegram_polling.run()))
    for zalo in app.zalo:
        if zalo.webhook is not None:
            secret = zalo.settings.webhook_secret
            url, token = zalo.webhook_url or "", secret.get_secret_value() if secret else ""
            startup.append(asyncio.create_task(_until_done(
                f"Zalo {zalo.settings.name} setWebhook",
                lambda z=zalo, u=url, t=token: z.client.set_webhook(u, t),  # type: ignore[misc]
            )))
        elif zalo.polling is not None:
            tasks.append(asyncio.create_task(zalo.polling.run()))
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
        for task in startup + tasks:
            task.cancel()
        for task in startup + tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await app.http.stop()
