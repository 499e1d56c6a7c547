"""The running service: channels, the HTTP server, the delivery worker and the fire poller."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable, Coroutine

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


class Parts:
    """The service's running parts, as adapters start them (bot.channels.base.Runner)."""

    def __init__(self) -> None:
        self.startup: list[asyncio.Task[object]] = []  # one-shot calls that retry until done
        self.tasks: list[asyncio.Task[object]] = []  # the parts that run until shutdown

    def until_done(self, what: str, action: Callable[[], Awaitable[object]]) -> None:
        self.startup.append(asyncio.create_task(_until_done(what, action)))

    def forever(self, action: Callable[[], Coroutine[object, None, object]]) -> None:
        self.tasks.append(asyncio.create_task(action()))


async def serve(app: App, stop: asyncio.Event, ready: Callable[[], None] = lambda: None) -> None:
    """Run until ``stop`` is set or a part fails; then shut down in order, within
    ``SHUTDOWN_SECONDS`` (a part that will not stop is logged and left behind)."""
    parts = Parts()
    await app.start_http()
    for adapter in app.channels.values():
        parts.until_done(f"{adapter.name} menu", adapter.publish_menu)
        adapter.start(parts)
    parts.forever(app.delivery.run_forever)
    parts.until_done("calendar planning", app.start_timers)
    scheduler = BotScheduler(app.fires, app.settings.fire_poll_seconds)
    scheduler.start()
    app.scheduler = scheduler
    freeze_startup_heap()
    ready()
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait([stopper, *parts.tasks],
                                     return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopper and not task.cancelled() and task.exception():
                log.error("a service part stopped: %r", task.exception())
    finally:
        scheduler.shutdown()
        stopper.cancel()
        running = parts.startup + parts.tasks
        for task in running:
            task.cancel()
        _, stuck = (await asyncio.wait(running, timeout=SHUTDOWN_SECONDS) if running
                    else ((), ()))
        if stuck:
            log.error("%d service parts did not stop in %.0fs", len(stuck), SHUTDOWN_SECONDS)
        for adapter in app.channels.values():
            await adapter.stop()
        await app.http.stop()
