"""Units and people from the web workplace: the tree with who is enrolled, invites made for
a whole subtree at once (one per CĐCS without a chair), listed, revoked and printed on a QR
sheet; people's roles listed and removed; a chair replaced; the tree imported from a file.

Who may: an administrator, in the subtree of their role; an official, in their own subtree,
when the policy lets officials manage people (``org.officials_manage``); importing the tree is
an administrator's of the whole tree (a root unit's). Anything else is ``NotYours`` (404).
Every change writes an audit row naming who did it from the web.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.engine.messages import Msg
from handlers.people.enrolment import CreatedInvite, create_invite
from handlers.people.org_import import ImportResult, import_units, read_table
from handlers.reports.page import NotYours
from handlers.workplace.seat import Seat
from storage.models import Invite, Membership, OrgUnit, Person
from storage.uow import UnitOfWork

PAGE = 100
# What an uploaded tree may be; the upload's own name never becomes a path.
SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True)
class TreeRow:
    unit: OrgUnit
    grassroots: bool
    chairs: int
    invites: int  # live invites


@dataclass(frozen=True)
class TreeView:
    unit: OrgUnit
    rows: tuple[TreeRow, ...]
    more: bool
    may_import: bool


class Roster:
    def __init__(self, officials_manage: bool, invite_days: int,
                 known_levels: tuple[str, ...]) -> None:
        self.officials_manage = officials_manage
        self.invite_days = invite_days
        self.known_levels = known_levels

    # -- who may ------------------------------------------------------------------------------
    def managers(self, seat: Seat) -> list[OrgUnit]:
        """The units whose subtrees this person manages people in."""
        return [u for u in seat.officials
                if u.id in seat.admin_units or self.officials_manage]

    def manages(self, seat: Seat, unit: OrgUnit) -> bool:
        return any(unit.path.startswith(u.path) for u in self.managers(seat))

    def check(self, seat: Seat, unit: OrgUnit) -> None:
        if not self.manages(seat, unit):
            raise NotYours(unit.id)

    @staticmethod
    def may_import(seat: Seat) -> bool:
        return any(u.parent_id is None and u.id in seat.admin_units for u in seat.officials)

    # -- the tree ------------------------------------------------------------------------------
    async def tree(self, uow: UnitOfWork, seat: Seat, unit: OrgUnit, now: datetime,
                   page: int = 0) -> TreeView:
        self.check(seat, unit)
        units = list(await uow.units.under([unit.path], PAGE + 1, page * PAGE))
        chairs = await uow.memberships.chair_counts([unit.path])
        invites = await uow.invites.live_counts([unit.path], now)
        leaves = {u.id for u in await uow.units.grassroots_among([u.id for u in units])}
        rows = tuple(TreeRow(u, u.id in leaves, chairs.get(u.id, 0), invites.get(u.id, 0))
                     for u in units[:PAGE])
        return TreeView(unit, rows, len(units) > PAGE, self.may_import(seat))

    # -- invites -------------------------------------------------------------------------------
    async def bulk(self, uow: UnitOfWork, seat: Seat, unit: OrgUnit, now: datetime,
                   days: int | None = None) -> list[CreatedInvite]:
        """One chair invite for each CĐCS of the subtree that has no chair and no live
        invite; run again, it makes none."""
        self.check(seat, unit)
        made = []
        for cs in await uow.invites.units_needing_chair([unit.path], now):
            made.append(await create_invite(
                uow, unit_code=cs.code, role="chair", uses=1, days=days or self.invite_days,
                now=now, created_by=_by(seat)))
        await uow.audit.write("invite.bulk", now, subject=f"unit:{unit.code}",
                              details={"made": len(made)}, person_id=seat.visitor.person_id,
                              identity_id=seat.visitor.identity_id)
        return made

    async def invites(self, uow: UnitOfWork, seat: Seat, unit: OrgUnit, now: datetime
                      ) -> list[tuple[Invite, OrgUnit]]:
        self.check(seat, unit)
        return await uow.invites.live_under([unit.path], now)

    async def revoke(self, uow: UnitOfWork, seat: Seat, invite_id: int, now: datetime
                     ) -> OrgUnit:
        found = await uow.invites.get(invite_id)
        if found is None or not self.manages(seat, found[1]):
            raise NotYours(invite_id)
        invite, unit = found
        if await uow.invites.revoke(invite.id, now):
            await uow.audit.write("invite.revoked", now, subject=invite.code,
                                  details={"unit": unit.code, "role": invite.role},
                                  person_id=seat.visitor.person_id,
                                  identity_id=seat.visitor.identity_id)
        return unit

    # -- people --------------------------------------------------------------------------------
    async def people(self, uow: UnitOfWork, seat: Seat, unit: OrgUnit
                     ) -> list[tuple[Membership, Person, OrgUnit]]:
        self.check(seat, unit)
        return list(await uow.memberships.in_subtrees([unit.path]))

    async def remove(self, uow: UnitOfWork, seat: Seat, membership_id: int, now: datetime
                     ) -> OrgUnit:
        """The role ends; the person's reports and answers stay theirs (the history)."""
        membership, unit = await self._membership(uow, seat, membership_id)
        await uow.memberships.remove(membership.id)
        await uow.audit.write("role.removed", now, subject=f"unit:{unit.code}",
                              details={"person": membership.person_id,
                                       "role": membership.role},
                              person_id=seat.visitor.person_id,
                              identity_id=seat.visitor.identity_id)
        return unit

    async def replace_chair(self, uow: UnitOfWork, seat: Seat, membership_id: int,
                            now: datetime) -> tuple[CreatedInvite, OrgUnit]:
        """A chair who left: their role ends and the unit gets a new chair's invite."""
        membership, _ = await self._membership(uow, seat, membership_id)
        if membership.role != "chair":
            raise NotYours(membership_id)
        unit = await self.remove(uow, seat, membership_id, now)
        return await create_invite(uow, unit_code=unit.code, role="chair", uses=1,
                                   days=self.invite_days, now=now, created_by=_by(seat)), unit

    async def _membership(self, uow: UnitOfWork, seat: Seat, membership_id: int
                          ) -> tuple[Membership, OrgUnit]:
        found = await uow.memberships.get(membership_id)
        # Nobody removes their own role here (an administrator locking themselves out).
        if found is None or not self.manages(seat, found[1]) or \
                found[0].person_id == seat.visitor.person_id:
            raise NotYours(membership_id)
        return found

    # -- importing the tree --------------------------------------------------------------------
    async def import_file(self, uow: UnitOfWork, seat: Seat, data: bytes, name: str,
                          now: datetime) -> ImportResult:
        """The command line's import, from an upload: the same row-numbered messages."""
        if not self.may_import(seat):
            raise NotYours(0)
        suffix = Path(name).suffix.lower()
        if suffix not in SUFFIXES:
            return ImportResult(errors=[Msg("org.bad_file_kind")])
        with tempfile.TemporaryDirectory(prefix="tinhhinh-org-") as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(data)
            try:
                rows, problem = read_table(path)
            except Exception:  # a file that is not what its name says (openpyxl, zip...)
                return ImportResult(errors=[Msg("org.bad_file_kind")])
        if problem is not None:
            return ImportResult(errors=[problem])
        return await import_units(uow, rows, now, known_levels=self.known_levels,
                                  person_id=seat.visitor.person_id, label="web")


def _by(seat: Seat) -> str:
    return f"web:{seat.visitor.person_id}"

