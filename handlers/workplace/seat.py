"""Who a workplace page serves, and which units they may open: the one check every workplace
page and action makes before it reads anything.

An official (or admin) opens the units of their roles and every unit below them; a chair
opens their own unit's reports only. A unit id from a URL outside that is ``NotYours`` (the
page answers 404), so ids cannot be probed. Free text is read as privacy by level allows
(``Seat.reader``), never by what the page is about.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.conversation.turn import OFFICIAL_ROLES
from handlers.people.privacy import Reader
from handlers.reports.page import NotYours, Visitor
from storage.models import OrgUnit
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Seat:
    visitor: Visitor
    officials: tuple[OrgUnit, ...]  # units of their official and admin roles, top first
    chairs: tuple[OrgUnit, ...]
    reader: Reader
    admin_units: frozenset[int] = frozenset()

    @property
    def paths(self) -> list[str]:
        return [u.path for u in self.officials]

    @property
    def official(self) -> bool:
        return bool(self.officials)

    def covers(self, unit: OrgUnit) -> bool:
        """Whether the unit is in one of the official's subtrees."""
        return any(unit.path.startswith(p) for p in self.paths)

    def home(self) -> OrgUnit:
        """The unit a workplace page opens on: the highest of the official's units."""
        if not self.officials:
            raise NotYours(0)
        return self.officials[0]


async def seat_of(uow: UnitOfWork, visitor: Visitor) -> Seat:
    roles = list(await uow.memberships.of_person(visitor.person_id))
    officials = sorted({u.id: u for m, u in roles if m.role in OFFICIAL_ROLES}.values(),
                       key=lambda u: (u.depth, u.path))
    chairs = tuple(u for m, u in roles if m.role == "chair")
    return Seat(visitor, tuple(officials), chairs, Reader.of(roles),
                frozenset(u.id for m, u in roles if m.role == "admin"))


async def unit_for(uow: UnitOfWork, seat: Seat, unit_id: int | None) -> OrgUnit:
    """The unit a page asks for (the official's own top unit when none): inside one of their
    subtrees, else ``NotYours``."""
    if unit_id is None:
        return seat.home()
    unit = await uow.units.get(unit_id)
    if unit is None or not seat.covers(unit):
        raise NotYours(unit_id)
    return unit
