"""What a person's conversation holds, as one typed model, read and written here only.

A conversation row stores JSON: the report draft (the engine's session), a short host
question being asked (which unit, which period...), the draft's wanted timer times, and what
the report is for (a periodic report's period). Every other module works with ``DraftState``
and never with the keys; the row is read once per turn (``Turn.draft``) and written by
``save``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.engine.session import Session
from storage.models import Conversation
from storage.uow import UnitOfWork

# The stored keys (kept as they were, so drafts in flight survive the upgrade).
_SESSION, _PENDING, _TIMERS, _CONTEXT = "session", "pending", "timers", "for"


@dataclass(frozen=True)
class Pending:
    """A short question a use case asked outside the draft's steps; ``data`` is the use
    case's own (the units to pick from, the unit an export is for...)."""

    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)
    # Host keyboards are numbered below zero, by the time they were drawn (see dispatch).
    version: int | None = None

    def to_json(self) -> dict[str, Any]:
        extra = {"version": self.version} if self.version is not None else {}
        return {**self.data, "kind": self.kind, **extra}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Pending:
        data = {k: v for k, v in raw.items() if k not in ("kind", "version")}
        version = raw.get("version")
        return cls(str(raw["kind"]), data, int(version) if version is not None else None)


@dataclass(frozen=True)
class DraftState:
    session: Session | None = None
    pending: Pending | None = None
    # Timer kind -> when it should fire (ISO, UTC); a kind listed here has a fire armed.
    timers: Mapping[str, str] = field(default_factory=dict)
    # What the report is for (a periodic report's period), kept until it is stored.
    context: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, conv: Conversation | None) -> DraftState:
        raw = (conv.state if conv is not None else None) or {}
        session = raw.get(_SESSION)
        pending = raw.get(_PENDING)
        return cls(
            session=Session.from_dict(session) if session else None,
            pending=Pending.from_json(pending) if pending else None,
            timers=dict(raw.get(_TIMERS) or {}),
            context=dict(raw.get(_CONTEXT) or {}),
        )

    def to_json(self) -> dict[str, Any] | None:
        state: dict[str, Any] = {}
        if self.session is not None:
            state[_SESSION] = self.session.to_dict()
            state[_TIMERS] = dict(self.timers)
        if self.context:
            state[_CONTEXT] = dict(self.context)
        if self.pending is not None:
            state[_PENDING] = self.pending.to_json()
        return state or None

    @property
    def period(self) -> str | None:
        value = self.context.get("period")
        return str(value) if value is not None else None

    def asking(self, pending: Pending | None) -> DraftState:
        return replace(self, pending=pending)

    def wanted(self, kind: str) -> datetime | None:
        when = self.timers.get(kind)
        return datetime.fromisoformat(when) if when is not None else None

    def fired(self, kind: str) -> DraftState:
        """This timer has fired: its kind is no longer armed."""
        return replace(self, timers={k: v for k, v in self.timers.items() if k != kind})


def draft_target(conversation_id: int) -> str:
    """The fires of a draft (nudge, expiry) are keyed by its conversation."""
    return f"conversation:{conversation_id}"


async def save(
    uow: UnitOfWork, conv: Conversation, state: DraftState, *, person_id: int,
    identity_id: int, now: datetime,
) -> None:
    """Write the state; with no draft the row keeps neither unit nor form."""
    keep = state.session is not None
    await uow.conversations.save(
        person_id, identity_id=identity_id, unit_id=conv.unit_id if keep else None,
        form_id=conv.form_id if keep else None, state=state.to_json(), now=now, current=conv,
    )
