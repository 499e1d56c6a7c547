"""A chat in the terminal over the full stack; piped input makes a transcript."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TextIO

from bot.app import App
from bot.channels.console import ConsoleInput
from scheduler.jobs import BotScheduler


async def chat(app: App, identity: str, stdin: TextIO, stdout: TextIO) -> None:
    """Read lines until EOF. Piped input is echoed as ``> line`` so output reads as a transcript,
    and what each line set off to run now runs before the next; at a terminal the fire poller
    and delivery run in the background for nudges."""
    interactive = stdin.isatty()
    source = ConsoleInput(identity)
    background: list[asyncio.Task[None]] = []
    scheduler = BotScheduler(app.fires, app.settings.fire_poll_seconds)
    if interactive:
        await app.start_timers()
        scheduler.start()
        background = [asyncio.create_task(app.delivery.run_forever())]
    try:
        await app.delivery.drain()
        while True:
            if interactive:
                stdout.write("> ")
                stdout.flush()
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            if not interactive:
                stdout.write(f"> {line.rstrip()}\n")
            await app.inbound.handle(source.event(line))
            if not interactive:
                # What a line set off to run at once (an export asked for with /xuat) runs
                # before the next line: a piped transcript holds its answer.
                await app.fires.run_once()
            await app.delivery.drain()
    finally:
        scheduler.shutdown()
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
