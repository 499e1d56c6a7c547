"""The running service's own set-up."""

from __future__ import annotations

import asyncio
import gc

from bot.clock import ManualClock
from bot.service import serve
from tests.conftest import RecordingChannel, make_app


async def test_the_start_up_heap_is_frozen_before_the_service_reports_ready(
    sqlite_url: str, clock: ManualClock, channel: RecordingChannel
) -> None:
    app = make_app(sqlite_url, clock, channel, http={"port": 0})
    stop = asyncio.Event()
    frozen_at_ready: list[int] = []

    def ready() -> None:
        frozen_at_ready.append(gc.get_freeze_count())
        stop.set()

    gc.unfreeze()
    try:
        await asyncio.wait_for(serve(app, stop, ready), 30)
    finally:
        gc.unfreeze()  # leave the test process as it was
        await app.close()
    # Everything alive at start-up (the app, its catalogs, the imported libraries) is frozen.
    assert frozen_at_ready and frozen_at_ready[0] > 10_000
