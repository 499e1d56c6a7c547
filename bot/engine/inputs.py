"""What can happen to a draft: the engine's inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CommandName = Literal["back", "skip", "done", "cancel", "confirm", "edit"]


@dataclass(frozen=True)
class TextInput:
    text: str


@dataclass(frozen=True)
class ChoiceInput:
    """A button press: the choice key and the step version the keyboard was drawn for."""

    key: str
    version: int


@dataclass(frozen=True)
class AttachmentInput:
    kind: str  # photo, document, voice, video, location
    ref: str  # channel file id, stored path or "lat,lon"
    size: int = 0
    name: str | None = None
    mime: str | None = None


@dataclass(frozen=True)
class CommandInput:
    name: CommandName
    arg: str | None = None


@dataclass(frozen=True)
class TimeoutInput:
    kind: Literal["nudge", "expire"]


Input = TextInput | ChoiceInput | AttachmentInput | CommandInput | TimeoutInput
