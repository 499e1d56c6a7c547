"""The scheduler of `tinhhinh run`: APScheduler 3's AsyncIOScheduler on the bot's event loop.

APScheduler only says *when to look*; what is due lives in the database (fire rows), so a
restart loses nothing and several processes share the work through the fires' version check.
A poll that overruns its interval is not run twice at once (max_instances=1) and missed runs
collapse into one (coalesce).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.fire_poller import FirePoller

log = logging.getLogger(__name__)


class BotScheduler:
    def __init__(self, fires: FirePoller, poll_seconds: float) -> None:
        self.fires = fires
        self.poll_seconds = poll_seconds
        self._scheduler: AsyncIOScheduler | None = None

    def start(self) -> None:
        """Start on the running event loop; the first poll runs at once (catching up)."""
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self._poll_fires, "interval", seconds=self.poll_seconds, id="fires",
            max_instances=1, coalesce=True, misfire_grace_time=None,
            next_run_time=datetime.now(UTC),
        )
        scheduler.start()
        self._scheduler = scheduler

    async def _poll_fires(self) -> None:
        try:
            await self.fires.run_once()
        except Exception:  # the next interval tries again
            log.exception("fire poll failed")

    def shutdown(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None

    def job_ids(self) -> list[str]:
        return [job.id for job in self._scheduler.get_jobs()] if self._scheduler else []
