"""Members open a directive from their unit's link (shared in the unit's Zalo group, or as a
QR code on paper) and confirm "Tôi đã đọc", without enrolling in anything.

The link is the unit's ledger row's random token: it opens that directive for that unit
only, and counts the confirmation there. One confirmation per browser (the page's cookie,
kept as a digest) and directive; the web layer also bounds them per address. The counts are
members' own confirmations, shown as such, never as proof that a unit disseminated.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from storage.directive_models import Directive, DirectiveRecipient
from storage.models import OrgUnit
from storage.repositories.unit_messages import plausible_token
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class MemberView:
    directive: Directive
    unit: OrgUnit
    recipient: DirectiveRecipient
    confirmed: bool  # this browser already said "Tôi đã đọc"


def device_digest(cookie: str) -> str:
    return hashlib.sha256(f"device:{cookie}".encode()).hexdigest()


class MemberPages:
    async def open(self, uow: UnitOfWork, token: str, device: str | None
                   ) -> MemberView | None:
        """The directive behind a unit's link; None for no such link, or a directive that
        did not go out or was withdrawn."""
        found = await uow.directives.by_token(token) if plausible_token(token) else None
        if found is None or found[1].status != "published":
            return None
        row, directive, unit = found
        confirmed = device is not None and await uow.directives.has_read(
            directive.id, device_digest(device))
        return MemberView(directive, unit, row, confirmed)

    async def confirm(self, uow: UnitOfWork, token: str, device: str, now: datetime
                      ) -> tuple[MemberView | None, bool]:
        """Count this browser's "Tôi đã đọc" for the link's unit; False when it had been."""
        view = await self.open(uow, token, None)
        if view is None:
            return None, False
        counted = await uow.directives.read(view.directive.id, view.unit.id,
                                            device_digest(device), now)
        return MemberView(view.directive, view.unit, view.recipient, True), counted

