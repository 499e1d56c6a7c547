"""The sender's load: the ORM statement the step uses against the same read in Core.

Issue 23 asked for the hot path on Core statements where the ORM costs most. The event's claim,
the draft's update and the outbox row already are; this measures the last, the arrival (the
sender's identity, person, open draft and whether they hold a role, the person locked). The
handlers read and change those as entities, so the Core variant reads the same columns and
attaches entities built from them to the session without a load (``make_transient_to_detached``
then ``add``); each variant runs in a transaction of its own, 300 at a time, alternating, six
rounds. ``PYTHONPATH=. python -m bench.arrival`` (under a minute).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import make_transient_to_detached

from bench.flow import updates
from bench.run import database
from bench.steps import USER_BASE, ours
from storage.models import ChannelIdentity, Conversation, Person
from storage.repositories.arrivals import _ENROLLED
from storage.uow import UnitOfWork

_I, _P, _C = (ChannelIdentity.__table__, Person.__table__, Conversation.__table__)
CORE = (select(*_I.c, *_P.c, *_C.c, _ENROLLED.label("enrolled"))
        .select_from(_I.join(_P, _P.c.id == _I.c.person_id)
                     .outerjoin(_C, _C.c.person_id == _P.c.id))
        .where(_I.c.channel == bindparam("channel"),
               _I.c.external_id == bindparam("external_id"))
        .with_for_update(of=_P))


def _entity(cls: type, table: Any, row: Any, at: int) -> tuple[Any, int]:
    columns = list(table.c)
    values = row[at:at + len(columns)]
    if values[0] is None:
        return None, at + len(columns)
    entity = cls(**{c.key: v for c, v in zip(columns, values, strict=True)})
    make_transient_to_detached(entity)
    return entity, at + len(columns)


async def core_load(uow: UnitOfWork, channel: str, external_id: str) -> None:
    row = (await uow.core.execute(CORE, {"channel": channel, "external_id": external_id})).first()
    at = 0
    for cls, table in ((ChannelIdentity, _I), (Person, _P), (Conversation, _C)):
        entity, at = _entity(cls, table, row, at)
        if entity is not None:
            uow.session.add(entity)


async def run(kind: str, work: Path) -> dict[str, list[float]]:
    async with database(kind, work) as url:
        app, channel, bot = await ours(url, 1)
        for update in updates(bot, USER_BASE, 1)[:3]:  # an open draft
            await channel.feed(update)
        who = str(USER_BASE)
        times: dict[str, list[float]] = {"ORM": [], "Core": []}
        for _ in range(6):
            for mode in times:
                started = time.perf_counter()
                for _ in range(300):
                    async with app.uows() as uow:
                        if mode == "ORM":
                            await uow.arrivals.load("telegram", who)
                        else:
                            await core_load(uow, "telegram", who)
                        await uow.session.rollback()
                times[mode].append((time.perf_counter() - started) / 300 * 1000)
        await app.close()
    return times


async def main() -> None:
    print("| db | variant | ms a transaction, median (min-max) |\n|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("sqlite", "postgres"):
            for mode, values in (await run(kind, Path(tmp))).items():
                print(f"| {kind} | {mode} | {statistics.median(values):.3f} "
                      f"({min(values):.3f}-{max(values):.3f}) |")


if __name__ == "__main__":
    asyncio.run(main())
