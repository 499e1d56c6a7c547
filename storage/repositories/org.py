"""The org tree: look-ups, and the set-based upsert behind `tinhhinh org import`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, insert, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import OrgUnit


def grassroots() -> ColumnElement[bool]:
    """Units with no unit below them: the grassroots unions (CĐCS) that file reports."""
    child = aliased(OrgUnit)
    return not_(exists().where(child.parent_id == OrgUnit.id))


def in_subtrees(paths: Sequence[str]) -> ColumnElement[bool]:
    """Units under any of these materialised paths (each unit's own path included)."""
    return or_(*(OrgUnit.path.like(f"{p}%") for p in paths))


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    parent_code: str | None
    level: str


class OrgUnits:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def by_code(self, code: str) -> OrgUnit | None:
        return await self.s.scalar(select(OrgUnit).where(OrgUnit.code == code))

    async def get(self, unit_id: int) -> OrgUnit | None:
        return await self.s.get(OrgUnit, unit_id)

    async def many(self, unit_ids: Sequence[int]) -> dict[int, OrgUnit]:
        if not unit_ids:
            return {}
        rows = await self.s.scalars(select(OrgUnit).where(OrgUnit.id.in_(unit_ids)))
        return {u.id: u for u in rows.all()}

    async def branches(self, paths: Sequence[str], limit: int = 500) -> Sequence[OrgUnit]:
        """The units with units below them under these paths (the paths' own included), in
        tree order: what a workplace page's unit filter offers (a province's CĐCS are too
        many for a list; a CĐCS is reached from its branch)."""
        if not paths:
            return []
        return (await self.s.scalars(
            select(OrgUnit).where(in_subtrees(paths), not_(grassroots()))
            .order_by(OrgUnit.path).limit(limit))).all()

    async def under(self, paths: Sequence[str], limit: int, offset: int = 0
                    ) -> Sequence[OrgUnit]:
        """One page of the units under these paths (their own included), in tree order."""
        if not paths:
            return []
        return (await self.s.scalars(
            select(OrgUnit).where(in_subtrees(paths)).order_by(OrgUnit.path)
            .limit(limit).offset(offset))).all()

    async def grassroots_among(self, unit_ids: Sequence[int]) -> Sequence[OrgUnit]:
        """Which of these units are CĐCS (no unit below them)."""
        if not unit_ids:
            return []
        return (await self.s.scalars(
            select(OrgUnit).where(OrgUnit.id.in_(list(unit_ids)), grassroots()))).all()

    async def has_children(self, unit_id: int) -> bool:
        return await self.s.scalar(
            select(OrgUnit.id).where(OrgUnit.parent_id == unit_id).limit(1)) is not None

    async def count(self) -> int:
        return int(await self.s.scalar(select(func.count()).select_from(OrgUnit)) or 0)

    async def all(self) -> Sequence[OrgUnit]:
        return (await self.s.scalars(select(OrgUnit).order_by(OrgUnit.path))).all()

    async def parents(self) -> dict[str, str | None]:
        """code -> parent code, for validating an import against what is stored."""
        parent = OrgUnit.__table__.alias("parent")
        rows = await self.s.execute(
            select(OrgUnit.code, parent.c.code).outerjoin(
                parent, parent.c.id == OrgUnit.parent_id
            )
        )
        return {code: parent_code for code, parent_code in rows.all()}

    async def upsert(self, rows: Sequence[UnitRow], now: datetime) -> tuple[int, int]:
        """Insert new codes, update known ones, then relink parents and paths.

        A bounded number of statements whatever the size of the file. Returns (added, updated).
        """
        existing = dict((await self.s.execute(select(OrgUnit.code, OrgUnit.id))).all())
        new = [r for r in rows if r.code not in existing]
        known = [r for r in rows if r.code in existing]
        if new:
            await self.s.execute(
                insert(OrgUnit),
                [
                    {"code": r.code, "name": r.name, "level": r.level, "path": "/", "depth": 0,
                     "created_at": now, "updated_at": now}
                    for r in new
                ],
            )
        if known:
            await self.s.execute(
                update(OrgUnit).execution_options(synchronize_session=False),
                [
                    {"id": existing[r.code], "name": r.name, "level": r.level, "updated_at": now}
                    for r in known
                ],
            )
        ids = dict((await self.s.execute(select(OrgUnit.code, OrgUnit.id))).all())
        links = [
            {"id": ids[r.code], "parent_id": ids[r.parent_code] if r.parent_code else None}
            for r in rows
        ]
        await self.s.execute(
            update(OrgUnit).execution_options(synchronize_session=False), links
        )
        await self._repath()
        return len(new), len(known)

    async def _repath(self) -> None:
        pairs = dict((await self.s.execute(select(OrgUnit.id, OrgUnit.parent_id))).all())
        current = dict((await self.s.execute(select(OrgUnit.id, OrgUnit.path))).all())
        paths: dict[int, str] = {}

        def path_of(unit_id: int) -> str:
            chain: list[int] = []
            node: int | None = unit_id
            while node is not None and node not in paths:
                chain.append(node)
                node = pairs.get(node)
            prefix = paths[node] if node is not None else "/"
            for n in reversed(chain):
                prefix = f"{prefix}{n}/"
                paths[n] = prefix
            return paths[unit_id]

        fresh = {uid: path_of(uid) for uid in pairs}
        changes = [
            {"id": uid, "path": path, "depth": path.count("/") - 2}
            for uid, path in fresh.items()
            if path != current[uid]
        ]
        if changes:
            await self.s.execute(
                update(OrgUnit).execution_options(synchronize_session=False), changes
            )
