"""What one inbound event means, decided once.

Every event is read here, and only here, into the intents it could carry, in order of
precedence: a press of a choice or navigation button, a command ("/baocao", "xuat
2026-10"), a reply code ("TN 12", typed or pressed), an unknown slash word, a navigation word
("quay lại"), an invite or link code's shape, an attachment, something unsupported, or plain
text. Each parser runs once. Which of the readings is taken depends on who writes and what
they are doing (a chair's "TN 12" inside a report is an answer); that is decided by the
router (handlers/conversation/dispatch.py) from this reading, never by parsing the text again.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.channels.base import ACTION_PREFIX, Attachment, InboundEvent
from bot.engine.commands import CommandVocabulary
from bot.engine.inputs import AttachmentInput, ChoiceInput, CommandInput, Input, TextInput
from handlers.conversation.reply_codes import ReplyCode, ReplyCodeGrammar
from handlers.people.enrolment import looks_like_code

NAVIGATION = frozenset({"back", "skip", "done", "cancel"})


@dataclass(frozen=True)
class Pressed:
    """A choice button of a question: the keyboard's version and the choice's key."""

    version: int
    key: str


@dataclass(frozen=True)
class Navigate:
    """Back, skip, done or cancel: a navigation button, or its word typed in a draft."""

    name: str


@dataclass(frozen=True)
class Code:
    """A registered reply code; ``pressed`` when it came as a button."""

    code: ReplyCode
    pressed: bool


@dataclass(frozen=True)
class Command:
    name: str
    arg: str | None


@dataclass(frozen=True)
class UnknownCommand:
    """A slash word that is no command ("/xyz")."""


@dataclass(frozen=True)
class InviteCode:
    """Code-shaped text: an invite code to redeem. ``strict``: letters and digits both, the
    shape enrolled people's typed codes must have (a number alone is an answer)."""

    text: str
    strict: bool


@dataclass(frozen=True)
class Attached:
    attachment: Attachment


@dataclass(frozen=True)
class Unsupported:
    """Something the bot cannot take (a sticker, a voice note where none is asked...)."""

    kind: str


@dataclass(frozen=True)
class Answer:
    """Plain text."""

    text: str


Intent = (Pressed | Navigate | Code | Command | UnknownCommand | InviteCode | Attached
          | Unsupported | Answer)


@dataclass(frozen=True)
class Reading:
    """The intents an event could carry, most specific first; text always ends in Answer."""

    event: InboundEvent
    intents: tuple[Intent, ...]

    @property
    def first(self) -> Intent:
        return self.intents[0]

    def find(self, kind: type[Intent]) -> Intent | None:
        return next((i for i in self.intents if isinstance(i, kind)), None)

    def without(self, *kinds: type[Intent]) -> Intent:
        """The most specific reading that is none of ``kinds`` (a code a chair may not use
        read as what else it says)."""
        return next(i for i in self.intents if not isinstance(i, kinds))

    @property
    def command(self) -> Command | None:
        found = self.find(Command)
        return found if isinstance(found, Command) else None

    @property
    def code(self) -> Code | None:
        found = self.find(Code)
        return found if isinstance(found, Code) else None


class Classifier:
    def __init__(self, commands: CommandVocabulary, navigation: CommandVocabulary,
                 codes: ReplyCodeGrammar, actions: Collection[str]) -> None:
        self.commands = commands
        self.navigation = navigation
        self.codes = codes
        # The reply codes some use case registered (a live view: filled at start-up).
        self.actions = actions

    def read(self, event: InboundEvent) -> Reading:
        if event.choice is not None:
            return Reading(event, (self._press(event.choice),))
        if event.code is not None:
            code = self._code(event.code)
            return Reading(event, (Code(code, pressed=True),) if code else (Unsupported(""),))
        if event.unsupported is not None:
            return Reading(event, (Unsupported(event.unsupported),))
        if event.attachment is not None:
            return Reading(event, (Attached(event.attachment),))
        return Reading(event, self._text(event.text or ""))

    def _press(self, choice: tuple[int, str]) -> Intent:
        version, key = choice
        name = key.removeprefix(ACTION_PREFIX)
        if key.startswith(ACTION_PREFIX) and name in NAVIGATION:
            return Navigate(name)
        return Pressed(version, key)

    def _code(self, text: str) -> ReplyCode | None:
        code = self.codes.parse(text)
        return code if code is not None and code.action in self.actions else None

    def _text(self, text: str) -> tuple[Intent, ...]:
        found: list[Intent] = []
        command = self.commands.parse(text) if text else None
        if command is not None:
            found.append(Command(command.name, command.arg))
        code = self._code(text) if text else None
        if code is not None:
            found.append(Code(code, pressed=False))
        if command is None and text and self.commands.is_unknown_slash(text):
            found.append(UnknownCommand())
        navigation = self.navigation.parse(text) if text else None
        if navigation is not None:
            found.append(Navigate(navigation.name))
        if text and looks_like_code(text, strict=False):
            found.append(InviteCode(text, strict=looks_like_code(text, strict=True)))
        found.append(Answer(text))
        return tuple(found)


def draft_input(intent: Intent) -> Input:
    """What a draft makes of a reading: its own step's answer or navigation."""
    if isinstance(intent, Navigate):
        return CommandInput(intent.name)  # type: ignore[arg-type]
    if isinstance(intent, Pressed):
        return ChoiceInput(intent.key, intent.version)
    if isinstance(intent, Attached):
        a = intent.attachment
        return AttachmentInput(a.kind, a.ref, a.size, a.name, a.mime)
    if isinstance(intent, InviteCode):
        return TextInput(intent.text)
    return TextInput(intent.text if isinstance(intent, Answer) else "")
