"""A draft in progress, serialisable to JSON so it survives restarts."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

CONFIRM = "@confirm"
PICK_EDIT = "@edit"


@dataclass
class Session:
    form_id: str
    form_version: int
    step: str
    answers: dict[str, Any] = field(default_factory=dict)
    # Optional questions the person chose to skip; they count as dealt with.
    skipped: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    # Bumped whenever the step changes; buttons carry it so old keyboards are refused.
    version: int = 0
    # A question being re-answered from the confirmation card returns there afterwards.
    editing: bool = False
    # Items toggled by button presses on a multi-choice question, before "done".
    selection: list[str] = field(default_factory=list)
    nudged: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "form_id": self.form_id,
            "form_version": self.form_version,
            "step": self.step,
            "answers": self.answers,
            "skipped": self.skipped,
            "history": self.history,
            "version": self.version,
            "editing": self.editing,
            "selection": self.selection,
            "nudged": self.nudged,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        return cls(
            form_id=data["form_id"],
            form_version=data["form_version"],
            step=data["step"],
            answers=dict(data.get("answers", {})),
            skipped=list(data.get("skipped", [])),
            history=list(data.get("history", [])),
            version=int(data.get("version", 0)),
            editing=bool(data.get("editing", False)),
            selection=list(data.get("selection", [])),
            nudged=bool(data.get("nudged", False)),
        )

    def copy(self) -> Session:
        return copy.deepcopy(self)
