"""What a draft makes of an inbound event: a pressed choice or navigation button, an
attachment, a typed navigation word ("quay lại") or plain text."""

from __future__ import annotations

from bot.channels.base import ACTION_PREFIX, InboundEvent
from bot.engine.commands import CommandVocabulary
from bot.engine.inputs import AttachmentInput, ChoiceInput, CommandInput, Input, TextInput

NAVIGATION = frozenset({"back", "skip", "done", "cancel"})


def to_input(event: InboundEvent, navigation: CommandVocabulary) -> Input:
    if event.choice is not None and event.choice[1].startswith(ACTION_PREFIX):
        name = event.choice[1].removeprefix(ACTION_PREFIX)
        if name in NAVIGATION:
            return CommandInput(name)  # type: ignore[arg-type]
    if event.choice is not None:
        return ChoiceInput(event.choice[1], event.choice[0])
    if event.attachment is not None:
        a = event.attachment
        return AttachmentInput(a.kind, a.ref, a.size, a.name, a.mime)
    text = event.text or ""
    nav = navigation.parse(text)
    if nav is not None:
        return CommandInput(nav.name)  # type: ignore[arg-type]
    return TextInput(text)
