"""A large org tree with an enrolled chair per grassroots unit, written in bulk (benchmarks and
the statement-count test): province > districts > CĐCS, each chair on one console account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from storage.models import ChannelIdentity, Membership, OrgUnit, Person
from storage.repositories.org import UnitRow
from storage.uow import UnitOfWorkFactory

CHUNK = 5000


def tree(districts: int, per_district: int) -> list[UnitRow]:
    rows = [UnitRow("TINH", "Tỉnh", None, "Tỉnh")]
    for d in range(districts):
        rows.append(UnitRow(f"H{d}", f"Huyện {d}", "TINH", "Huyện"))
        rows += [UnitRow(f"H{d}_CS{i}", f"CĐCS {d}.{i}", f"H{d}", "Cơ sở")
                 for i in range(per_district)]
    return rows


async def grassroots(uows: UnitOfWorkFactory, districts: int, per_district: int,
                     now: datetime) -> int:
    """Create the tree and a chair for every CĐCS without one; returns how many got one."""
    async with uows() as uow:
        await uow.units.upsert(tree(districts, per_district), now)
        await uow.commit()
    async with uows() as uow:
        chaired = select(Membership.unit_id).where(Membership.role == "chair")
        leaves = list((await uow.session.scalars(
            select(OrgUnit.id).where(OrgUnit.code.like("H%\\_CS%", escape="\\"),
                                     OrgUnit.id.not_in(chaired))
            .order_by(OrgUnit.id))).all())
        for start in range(0, len(leaves), CHUNK):
            chunk = leaves[start:start + CHUNK]
            ids = list((await uow.session.scalars(
                insert(Person).returning(Person.id, sort_by_parameter_order=True),
                [{"display_name": f"chair {u}", "created_at": now} for u in chunk])).all())
            await uow.session.execute(insert(ChannelIdentity), [
                {"channel": "console", "external_id": f"chair{p}", "person_id": p,
                 "address": f"chair{p}", "display_name": f"chair {u}", "created_at": now}
                for p, u in zip(ids, chunk, strict=True)])
            await uow.session.execute(insert(Membership), [
                {"person_id": p, "unit_id": u, "role": "chair", "created_at": now}
                for p, u in zip(ids, chunk, strict=True)])
        await uow.commit()
    return len(leaves)
