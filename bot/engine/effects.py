"""What the engine asks the host to do; the host applies them in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from bot.engine.messages import Msg


@dataclass(frozen=True)
class Ask:
    """Show the current question (with a reason first when the last answer was refused)."""

    question: str
    version: int
    error: Msg | None = None


@dataclass(frozen=True)
class Confirm:
    """Show the confirmation card: every answer, then send / edit / cancel."""

    version: int
    error: Msg | None = None


@dataclass(frozen=True)
class PickEdit:
    """Ask which answer to change; ``questions`` in card order."""

    version: int
    questions: tuple[str, ...]
    error: Msg | None = None


@dataclass(frozen=True)
class Say:
    message: Msg


@dataclass(frozen=True)
class Submitted:
    form_id: str
    form_version: int
    answers: dict[str, Any]


@dataclass(frozen=True)
class Ended:
    reason: Literal["submitted", "cancelled", "expired"]


@dataclass(frozen=True)
class ScheduleFire:
    """Set (or move) the draft's timer of this kind to ``after`` from now."""

    kind: Literal["draft.nudge", "draft.expire"]
    after: timedelta


@dataclass(frozen=True)
class CancelFires:
    """Drop every pending timer of this draft."""


Effect = Ask | Confirm | PickEdit | Say | Submitted | Ended | ScheduleFire | CancelFires
