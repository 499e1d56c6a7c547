"""People, their messenger identities, and their roles on units."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from storage.dialect import upsert
from storage.models import ChannelIdentity, Membership, OrgUnit, Person
from storage.repositories.org import in_subtrees


def first_reachable_account(membership: type[Membership]) -> Any:
    """A scalar subquery: the membership's person's first account the messenger still
    reaches (one account per person, as alerts and reminders go)."""
    account = aliased(ChannelIdentity)
    return (
        select(func.min(account.id))
        .where(account.person_id == membership.person_id, account.unreachable_at.is_(None))
        .correlate(membership)
        .scalar_subquery()
    )


class People:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def lock(self, person_id: int) -> Person:
        """Load and lock the person: one person's events are applied one at a time."""
        person = await self.s.scalar(
            select(Person).where(Person.id == person_id).with_for_update()
        )
        if person is None:
            raise LookupError(person_id)
        return person

    async def get(self, person_id: int) -> Person | None:
        return await self.s.get(Person, person_id)

    async def names(self, person_ids: Sequence[int]) -> dict[int, str]:
        """Display names by person id (one query for a page's worth)."""
        if not person_ids:
            return {}
        rows = await self.s.execute(select(Person.id, Person.display_name)
                                    .where(Person.id.in_(list(person_ids))))
        return {int(i): str(n) for i, n in rows.all()}

    async def set_language(self, person_id: int, language: str) -> None:
        await self.s.execute(
            update(Person).where(Person.id == person_id).values(language=language)
        )


class Identities:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get_or_create(
        self, channel: str, external_id: str, address: str, display_name: str, now: datetime
    ) -> ChannelIdentity:
        found = await self._find(channel, external_id)
        if found is not None:
            if found.unreachable_at is not None:
                # They wrote to us, so the messenger delivers to them again.
                found.unreachable_at = None
            return found
        person_id = await self.s.scalar(
            insert(Person)
            .values(display_name=display_name[:200], created_at=now)
            .returning(Person.id)
        )
        stmt = upsert(self.s, ChannelIdentity.__table__).values(
            channel=channel,
            external_id=external_id,
            person_id=person_id,
            address=address,
            display_name=display_name[:200],
            created_at=now,
        )
        stmt = stmt.on_conflict_do_nothing(index_elements=["channel", "external_id"])
        await self.s.execute(stmt)
        created = await self._find(channel, external_id)
        assert created is not None
        return created

    async def _find(self, channel: str, external_id: str) -> ChannelIdentity | None:
        return await self.s.scalar(
            select(ChannelIdentity).where(
                ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
            )
        )

    async def get(self, identity_id: int) -> ChannelIdentity | None:
        return await self.s.get(ChannelIdentity, identity_id)

    async def mark_unreachable(self, identity_id: int, now: datetime) -> bool:
        """Record that the messenger refuses this identity; True only on the first refusal."""
        result = await self.s.execute(
            update(ChannelIdentity)
            .where(ChannelIdentity.id == identity_id, ChannelIdentity.unreachable_at.is_(None))
            .values(unreachable_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def moved(self, identity: ChannelIdentity, person_id: int) -> None:
        """The loaded ``identity`` now belongs to ``person_id`` (already written by a merge);
        the session is told without writing it again."""
        set_committed_value(identity, "person_id", person_id)

    async def others_reachable(
        self, person_id: int, channels: Sequence[str], exclude: Sequence[int]
    ) -> Sequence[ChannelIdentity]:
        """The person's other accounts a message could go to instead, oldest first."""
        return (
            await self.s.scalars(
                select(ChannelIdentity)
                .where(
                    ChannelIdentity.person_id == person_id,
                    ChannelIdentity.unreachable_at.is_(None),
                    ChannelIdentity.channel.in_(channels),
                    ChannelIdentity.id.not_in(exclude),
                )
                .order_by(ChannelIdentity.id)
            )
        ).all()

    async def first_reachable(self, person_id: int) -> ChannelIdentity | None:
        """The person's first account the messenger still delivers to (the one alerts,
        reminders and digests go to)."""
        return await self.s.scalar(
            select(ChannelIdentity)
            .where(ChannelIdentity.person_id == person_id,
                   ChannelIdentity.unreachable_at.is_(None))
            .order_by(ChannelIdentity.id)
            .limit(1)
        )

    async def for_person(self, person_id: int) -> Sequence[ChannelIdentity]:
        return (
            await self.s.scalars(
                select(ChannelIdentity)
                .where(ChannelIdentity.person_id == person_id)
                .order_by(ChannelIdentity.id)
            )
        ).all()


class Memberships:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def of_person(self, person_id: int) -> Sequence[tuple[Membership, OrgUnit]]:
        rows = await self.s.execute(
            select(Membership, OrgUnit)
            .join(OrgUnit, OrgUnit.id == Membership.unit_id)
            .where(Membership.person_id == person_id)
            .order_by(Membership.id)
        )
        return [(m, u) for m, u in rows.all()]

    async def roles_of(self, person_ids: Sequence[int]) -> dict[int, list[tuple[str, int]]]:
        """Each person's roles as (role, unit id), in one query."""
        found: dict[int, list[tuple[str, int]]] = {p: [] for p in person_ids}
        if person_ids:
            rows = await self.s.execute(
                select(Membership.person_id, Membership.role, Membership.unit_id)
                .where(Membership.person_id.in_(person_ids)))
            for person_id, role, unit_id in rows.all():
                found[person_id].append((role, unit_id))
        return found

    async def officials_reachable(
        self, unit_ids: Sequence[int]
    ) -> Sequence[tuple[Membership, Person, ChannelIdentity]]:
        """Officials of these units with every identity the messenger still delivers to."""
        if not unit_ids:
            return []
        rows = await self.s.execute(
            select(Membership, Person, ChannelIdentity)
            .join(Person, Person.id == Membership.person_id)
            .join(ChannelIdentity, ChannelIdentity.person_id == Membership.person_id)
            .where(
                Membership.unit_id.in_(unit_ids),
                Membership.role == "official",
                ChannelIdentity.unreachable_at.is_(None),
            )
            .order_by(Membership.unit_id, Membership.person_id, ChannelIdentity.id)
        )
        return [(m, p, i) for m, p, i in rows.all()]

    async def admins_reachable(self) -> Sequence[tuple[Person, ChannelIdentity]]:
        """Administrators, each with every account the messenger still delivers to."""
        rows = await self.s.execute(
            select(Person, ChannelIdentity)
            .join(ChannelIdentity, ChannelIdentity.person_id == Person.id)
            .where(
                Person.id.in_(select(Membership.person_id).where(Membership.role == "admin")),
                ChannelIdentity.unreachable_at.is_(None),
            )
            .order_by(Person.id, ChannelIdentity.id)
        )
        return [(p, i) for p, i in rows.all()]

    async def add(
        self, person_id: int, unit_id: int, role: str, invite_id: int | None, now: datetime
    ) -> bool:
        """Grant the role; False when the person already had it."""
        stmt = upsert(self.s, Membership.__table__).values(
            person_id=person_id, unit_id=unit_id, role=role, invite_id=invite_id, created_at=now
        )
        result = await self.s.execute(
            stmt.on_conflict_do_nothing(index_elements=["person_id", "unit_id", "role"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def in_subtrees(self, paths: Sequence[str], limit: int = 2000
                          ) -> Sequence[tuple[Membership, Person, OrgUnit]]:
        """Everyone holding a role in these subtrees, in tree order."""
        if not paths:
            return []
        rows = await self.s.execute(
            select(Membership, Person, OrgUnit)
            .join(Person, Person.id == Membership.person_id)
            .join(OrgUnit, OrgUnit.id == Membership.unit_id)
            .where(in_subtrees(paths)).order_by(OrgUnit.path, Membership.role, Person.id)
            .limit(limit))
        return [(m, p, u) for m, p, u in rows.all()]

    async def get(self, membership_id: int) -> tuple[Membership, OrgUnit] | None:
        row = (await self.s.execute(
            select(Membership, OrgUnit).join(OrgUnit, OrgUnit.id == Membership.unit_id)
            .where(Membership.id == membership_id))).first()
        return (row[0], row[1]) if row is not None else None

    async def remove(self, membership_id: int) -> bool:
        """The role ends; what the person did under it (reports, answers) stays theirs."""
        result = await self.s.execute(delete(Membership).where(Membership.id == membership_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def chair_counts(self, paths: Sequence[str]) -> dict[int, int]:
        """Chairs per unit in these subtrees (units without one are absent)."""
        rows = await self.s.execute(
            select(Membership.unit_id, func.count())
            .join(OrgUnit, OrgUnit.id == Membership.unit_id)
            .where(in_subtrees(paths), Membership.role == "chair").group_by(Membership.unit_id))
        return {int(u): int(n) for u, n in rows.all()}

    async def officials_with_units(self) -> Sequence[tuple[OrgUnit, Person, ChannelIdentity]]:
        """Every official with their unit and first account the messenger still reaches
        (one statement, however many units: the overdue notice groups in memory)."""
        first_account = first_reachable_account(Membership)
        rows = await self.s.execute(
            select(OrgUnit, Person, ChannelIdentity)
            .select_from(Membership)
            .join(OrgUnit, OrgUnit.id == Membership.unit_id)
            .join(Person, Person.id == Membership.person_id)
            .join(ChannelIdentity, ChannelIdentity.id == first_account)
            .where(Membership.role == "official")
            .order_by(OrgUnit.path, Person.id)
        )
        return [(u, p, i) for u, p, i in rows.all()]
