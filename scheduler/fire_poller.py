"""The fire poller: runs due timers once each, claimed by a version check.

After downtime every overdue fire runs once; with several processes, the claim (an UPDATE
guarded by the version read) lets exactly one of them run it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from bot.clock import Clock
from storage.models import Fire
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

FireHandler = Callable[[UnitOfWork, Fire, datetime], Awaitable[None]]


class FirePoller:
    def __init__(
        self,
        uows: Callable[[], UnitOfWork],
        clock: Clock,
        handlers: Mapping[str, FireHandler],
        on_commit: Callable[[], None] = lambda: None,
        batch: int = 100,
    ) -> None:
        self.uows = uows
        self.clock = clock
        self.handlers = handlers
        self.on_commit = on_commit
        self.batch = batch

    async def run_once(self) -> int:
        now = self.clock.now()
        async with self.uows() as uow:
            due = [(f.id, f.version, f.kind) for f in await uow.fires.due(now, self.batch)]
        fired = 0
        for fire_id, version, kind in due:
            handler = self.handlers.get(kind)
            try:
                async with self.uows() as uow:
                    fire = await uow.session.get(Fire, fire_id)
                    if fire is None or not await uow.fires.claim(fire_id, version, now):
                        continue
                    if handler is None:
                        log.warning("no handler for fire kind %s; dropped", kind)
                    else:
                        await handler(uow, fire, now)
                    await uow.commit()
                    fired += 1
            except Exception:
                log.exception("fire %s (%s) failed; it stays due", fire_id, kind)
        if fired:
            self.on_commit()
        return fired
