"""API tokens: made and revoked by an administrator for a unit of their subtree, checked on
every request. The secret is shown once; only its SHA-256 is stored. Every change is
audited, and so is every read (which token, which list, how many rows)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from handlers.people.privacy import Reader
from handlers.reports.page import NotYours
from handlers.workplace.seat import Seat
from storage.api_models import ApiToken
from storage.models import OrgUnit
from storage.uow import UnitOfWork

PREFIX = "th_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Caller:
    """A request's token: the subtree it reads, as an official of its unit reads it."""

    token_id: int
    name: str
    unit: OrgUnit

    @property
    def reader(self) -> Reader:
        return Reader.of_roles([("official", self.unit.id)])


class ApiTokens:
    @staticmethod
    def admin_units(seat: Seat) -> list[OrgUnit]:
        return [u for u in seat.officials if u.id in seat.admin_units]

    def check(self, seat: Seat, unit: OrgUnit) -> None:
        if not any(unit.path.startswith(u.path) for u in self.admin_units(seat)):
            raise NotYours(unit.id)

    async def listing(self, uow: UnitOfWork, seat: Seat) -> list[tuple[ApiToken, OrgUnit]]:
        units = self.admin_units(seat)
        if not units:
            raise NotYours(0)
        return await uow.api.under([u.path for u in units])

    async def make(self, uow: UnitOfWork, seat: Seat, unit: OrgUnit, name: str,
                   now: datetime) -> str:
        """A new token for the unit's subtree; its secret, to be shown once."""
        self.check(seat, unit)
        secret = PREFIX + secrets.token_urlsafe(32)
        token = await uow.api.add(name.strip()[:100] or unit.code, digest(secret), unit.id,
                                  seat.visitor.person_id, now)
        await uow.audit.write("api.token_made", now, subject=f"api_token:{token.id}",
                              details={"unit": unit.code, "name": token.name},
                              person_id=seat.visitor.person_id,
                              identity_id=seat.visitor.identity_id)
        return secret

    async def revoke(self, uow: UnitOfWork, seat: Seat, token_id: int, now: datetime) -> None:
        found = await uow.api.get(token_id)
        if found is None:
            raise NotYours(token_id)
        self.check(seat, found[1])
        if await uow.api.revoke(token_id, now):
            await uow.audit.write("api.token_revoked", now, subject=f"api_token:{token_id}",
                                  details={"unit": found[1].code},
                                  person_id=seat.visitor.person_id,
                                  identity_id=seat.visitor.identity_id)

    @staticmethod
    async def caller(uow: UnitOfWork, secret: str) -> Caller | None:
        """The live token this secret is, or None (unknown or revoked)."""
        if not secret.startswith(PREFIX) or len(secret) > 200:
            return None
        found = await uow.api.live(digest(secret))
        if found is None:
            return None
        token, unit = found
        return Caller(token.id, token.name, unit)
