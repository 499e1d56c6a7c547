"""`tinhhinh demo`: a demo province (bot/forms/demo_org.csv) and an enrolled demo chair."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.forms import FORMS_DIR
from handlers.people.org_import import import_units, read_table
from storage.uow import UnitOfWork

DEMO_ORG = FORMS_DIR / "demo_org.csv"
DEMO_CHAIR = ("demo", "DEMO_CS1")
DEMO_OFFICIAL = ("canbo", "DEMO_HUYEN")


async def seed_demo(uow: UnitOfWork, now: datetime, *, channel: str,
                    org_file: Path = DEMO_ORG) -> None:
    """Idempotent: re-running updates the same units and keeps the same people, whose
    accounts are on ``channel`` (the terminal the demo runs in)."""
    rows, problem = read_table(org_file)
    if problem is not None:
        raise RuntimeError(f"demo org file is invalid: {problem}")
    # The demo's own start (the console, `tinhhinh run`) plans the calendar.
    result = await import_units(uow, rows, now, plan=False)
    if result.errors:
        raise RuntimeError(f"demo org file is invalid: {result.errors}")
    for (handle, unit_code), role in ((DEMO_CHAIR, "chair"), (DEMO_OFFICIAL, "official")):
        identity = await uow.identities.get_or_create(channel, handle, handle, handle, now)
        unit = await uow.units.by_code(unit_code)
        assert unit is not None
        if await uow.memberships.add(identity.person_id, unit.id, role, None, now):
            await uow.audit.write(
                "demo.enrolled", now, subject=f"{channel}:{handle}",
                details={"unit": unit_code, "role": role}, label="demo",
            )
