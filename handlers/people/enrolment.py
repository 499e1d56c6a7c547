"""Invites: creating codes for a unit and role, and redeeming them in the chat."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.engine.messages import Msg
from handlers.conversation.turn import Turn
from storage.uow import UnitOfWork

# No 0/O, 1/I/L: codes are read aloud and copied by hand from paper.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
ROLES = ("chair", "official", "admin")
_SHAPE = re.compile(r"^[A-Za-z0-9]{4}[-\s]?[A-Za-z0-9]{4}$")


class InviteError(ValueError):
    """Bad arguments to `invite create`; the message key explains which."""

    def __init__(self, msg: Msg) -> None:
        super().__init__(msg.key)
        self.msg = msg


@dataclass(frozen=True)
class CreatedInvite:
    code: str
    unit: str
    role: str
    max_uses: int
    expires_at: datetime


def new_code(length: int = CODE_LENGTH) -> str:
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(length))
        digits = sum(ch.isdigit() for ch in code)
        # At least two digits and two letters, so a code never reads like a word.
        if 2 <= digits <= length - 2:
            return code


def normalise_code(text: str) -> str:
    return re.sub(r"[\s-]", "", text).upper()


def looks_like_code(text: str, *, strict: bool) -> bool:
    """Code-shaped text. ``strict`` (for enrolled people) also wants letters and digits."""
    raw = text.strip()
    if not _SHAPE.match(raw):
        return False
    if not strict:
        return True
    code = normalise_code(raw)
    return any(c.isdigit() for c in code) and any(c.isalpha() for c in code)


async def create_invite(
    uow: UnitOfWork,
    *,
    unit_code: str,
    role: str,
    uses: int,
    days: int,
    now: datetime,
    created_by: str,
) -> CreatedInvite:
    if role not in ROLES:
        raise InviteError(Msg("invite.bad_role"))
    if uses < 1 or days < 1:
        raise InviteError(Msg("invite.bad_numbers"))
    unit = await uow.units.by_code(unit_code)
    if unit is None:
        raise InviteError(Msg("invite.unknown_unit", code=unit_code))
    # A chair files for a CĐCS; an official looks after units below their own.
    below = await uow.units.has_children(unit.id)
    if role == "chair" and below:
        raise InviteError(Msg("invite.chair_above_grassroots", unit=unit.name))
    if role == "official" and not below:
        raise InviteError(Msg("invite.official_on_grassroots", unit=unit.name))
    code = new_code()
    while await uow.invites.exists(code):
        code = new_code()
    invite = await uow.invites.create(
        code, unit.id, role, uses, now + timedelta(days=days), created_by, now
    )
    await uow.audit.write(
        "invite.created",
        now,
        subject=code,
        details={"unit": unit.code, "role": role, "uses": uses, "days": days},
        label=created_by,
    )
    return CreatedInvite(code, unit.code, role, uses, invite.expires_at)


@dataclass(frozen=True)
class BotScope:
    """A messenger bot that serves only some subtrees (Zalo: 50 users per bot)."""

    channel: str
    title: str
    unit_codes: tuple[str, ...]


class Enrolment:
    def __init__(self, wrong_codes_per_hour: int, scopes: tuple[BotScope, ...] = ()) -> None:
        self.limit = wrong_codes_per_hour
        self.scopes = {s.channel: s for s in scopes if s.unit_codes}

    async def _serving_bot(self, uow: UnitOfWork, channel: str, path: str) -> str | None:
        """None when this channel may enrol people of the unit at ``path``; otherwise the
        title of a bot that serves it (or "" when none is configured to)."""
        scope = self.scopes.get(channel)
        if scope is None:
            return None

        async def covers(s: BotScope) -> bool:
            for code in s.unit_codes:
                root = await uow.units.by_code(code)
                if root is not None and path.startswith(root.path):
                    return True
            return False

        if await covers(scope):
            return None
        for other in self.scopes.values():
            if other.channel != channel and await covers(other):
                return other.title
        return ""

    async def redeem(self, turn: Turn, text: str) -> bool:
        """Try a code; True when the person gained a role."""
        uow, now = turn.uow, turn.now
        failures = await uow.audit.count_since(
            turn.identity.id, "invite.failed", now - timedelta(hours=1)
        )
        if failures >= self.limit:
            await turn.say(Msg("invite.rate_limited", limit=self.limit))
            return False
        code = normalise_code(text)
        invite = await uow.invites.lock_by_code(code) if len(code) == CODE_LENGTH else None
        problem: str | None = None
        if invite is not None and await self._own(turn, invite.id):
            # Their own invite again (a chair who re-sends the code from the paper).
            unit = await uow.units.get(invite.unit_id)
            await turn.say(Msg("invite.already_member", unit=unit.name if unit else "",
                               role=turn.t(Msg(f"role.{invite.role}"))))
            return False
        if invite is None:
            problem = "invite.wrong"
        elif invite.revoked_at is not None:
            problem = "invite.revoked"
        elif invite.expires_at <= now:
            problem = "invite.expired"
        elif invite.uses >= invite.max_uses:
            problem = "invite.used_up"
        if problem is not None or invite is None:
            await uow.audit.write(
                "invite.failed",
                now,
                subject=code[:16],
                details={"reason": problem},
                person_id=turn.person.id,
                identity_id=turn.identity.id,
            )
            left = self.limit - failures - 1
            await turn.say(Msg(problem or "invite.wrong", left=max(left, 0)))
            return False
        unit = await uow.units.get(invite.unit_id)
        assert unit is not None
        other_bot = await self._serving_bot(uow, turn.identity.channel, unit.path)
        if other_bot is not None:
            # Each Zalo bot serves its own subtrees, to stay under the plan's user cap.
            key = "invite.other_bot" if other_bot else "invite.no_bot"
            await turn.say(Msg(key, unit=unit.name, bot=other_bot))
            return False
        role_name = turn.t(Msg(f"role.{invite.role}"))
        added = await uow.memberships.add(turn.person.id, unit.id, invite.role, invite.id, now)
        if not added:
            await turn.say(Msg("invite.already_member", unit=unit.name, role=role_name))
            return False
        await uow.invites.use(invite.id)
        await uow.audit.write(
            "invite.redeemed",
            now,
            subject=code,
            details={"unit": unit.code, "role": invite.role},
            person_id=turn.person.id,
            identity_id=turn.identity.id,
        )
        await turn.memberships(fresh=True)
        next_step = f"invite.next_{invite.role}"
        await turn.say(Msg("invite.welcome", unit=unit.name, role=role_name))
        await turn.say(Msg(next_step))
        return True

    @staticmethod
    async def _own(turn: Turn, invite_id: int) -> bool:
        """Whether this person already holds a role this invite gave."""
        return any(m.invite_id == invite_id for m, _ in await turn.memberships())
