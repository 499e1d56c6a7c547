"""The compliance ledger on SQLite and PostgreSQL: set-based, with a bounded statement count."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import event, func, select

from storage.database import create_engine, session_factory
from storage.models import OrgUnit, PeriodObligation
from storage.repositories.org import UnitRow
from storage.uow import UnitOfWorkFactory
from tests.conftest import START

DISTRICTS, PER_DISTRICT = 20, 100


def tree(extra: int = 0) -> list[UnitRow]:
    rows = [UnitRow("TINH", "Tỉnh", None, "Tỉnh")]
    for d in range(DISTRICTS):
        rows.append(UnitRow(f"H{d}", f"Huyện {d}", "TINH", "Huyện"))
        rows += [UnitRow(f"H{d}_CS{i}", f"CĐCS {d}.{i}", f"H{d}", "Cơ sở")
                 for i in range(PER_DISTRICT + (extra if d == 0 else 0))]
    return rows


class Statements:
    """Counts the SQL statements an engine runs while it is on."""

    def __init__(self, engine: Any) -> None:
        self.count = 0
        self.on = False
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        if self.on:
            self.count += 1


async def open_november(uows: UnitOfWorkFactory, h0_path: str) -> int:
    """District H0 has its own due date (a per-subtree override); the rest the default."""
    async with uows() as uow:
        added = await uow.obligations.open_period(
            "thang", "2026-11", "bao_cao_thang", date(2026, 11, 25), START, under=h0_path)
        added += await uow.obligations.open_period(
            "thang", "2026-11", "bao_cao_thang", date(2026, 11, 20), START, excluding=[h0_path])
        await uow.commit()
    return added


async def test_opening_a_period_is_set_based_and_idempotent_with_subtree_overrides(
    db_url: str,
) -> None:
    engine = create_engine(db_url)
    uows = UnitOfWorkFactory(session_factory(engine))
    try:
        async with uows() as uow:
            await uow.units.upsert(tree(), START)
            await uow.commit()
        async with uows() as uow:
            h0 = await uow.units.by_code("H0")
            assert h0 is not None
            h0_path = h0.path
        statements = Statements(engine)
        statements.on = True
        added = await open_november(uows, h0_path)
        statements.on = False
        units = DISTRICTS * PER_DISTRICT
        assert added == units  # grassroots units only: no district, no province
        assert statements.count <= 6, statements.count  # not one per unit
        async with uows() as uow:
            dues = dict((await uow.session.execute(
                select(PeriodObligation.due_on, func.count()).group_by(PeriodObligation.due_on)
            )).all())
        assert dues == {date(2026, 11, 25): PER_DISTRICT, date(2026, 11, 20): units - PER_DISTRICT}

        # Five units join mid-period: running it again adds just them, and keeps the rest.
        async with uows() as uow:
            await uow.units.upsert(tree(extra=5), START + timedelta(days=3))
            tinh = await uow.units.by_code("TINH")
            assert tinh is not None and await uow.obligations.of_units([tinh.id]) == []
            await uow.commit()
        assert await open_november(uows, h0_path) == 5

        async with uows() as uow:
            missing = await uow.obligations.sweep_missing(date(2026, 11, 26), START)
            await uow.commit()
        assert missing == units + 5
        async with uows() as uow:
            tinh = await uow.units.by_code("TINH")
            assert tinh is not None
            assert await uow.obligations.compliance("thang", "2026-11", [tinh.path]) == {
                "missing": units + 5}
            assert await uow.obligations.compliance("thang", "2026-11", [h0_path]) == {
                "missing": PER_DISTRICT + 5}
            count = await uow.session.scalar(select(func.count()).select_from(OrgUnit))
            assert count == 1 + DISTRICTS + units + 5
    finally:
        await engine.dispose()
