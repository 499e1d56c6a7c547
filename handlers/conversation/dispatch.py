"""Routing one inbound event: read once (intents.py), resolved against who writes and what
they are doing, then sent by a table to the use case that answers it.

The reading says what the text could be; the person's state decides which reading counts:
a keyboard that is no longer current is refused, a host question being asked takes the
answer, a stranger may only redeem a code, a chair's "TN 12" inside a report is an answer.
What comes out is one resolved intent, and ``routes`` maps its type to one handler. Commands,
reply codes and host questions are registries filled at start-up from bot/app.py; a second
registration of the same name stops start-up (bot/engine/registry.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.channels.base import InboundEvent
from bot.engine.inputs import Input
from bot.engine.messages import Msg
from bot.engine.registry import Registry
from bot.engine.session import Session
from bot.forms import FormCatalog
from handlers.conversation.draft_state import Pending
from handlers.conversation.intents import (
    Classifier,
    Code,
    Command,
    Intent,
    InviteCode,
    Reading,
    UnknownCommand,
    Unsupported,
    draft_input,
)
from handlers.conversation.own_commands import OwnCommands
from handlers.conversation.questions import HostQuestions, TextAnswer
from handlers.conversation.reply_codes import ReplyAction, ReplyCodeGrammar
from handlers.conversation.routes import (
    ActionRoute,
    Audience,
    CommandHandler,
    CommandRoute,
    no_arg,
)
from handlers.conversation.turn import OFFICIAL_ROLES, Turn
from handlers.people.enrolment import Enrolment
from handlers.people.linking import Linking
from handlers.reports.flow import ReportFlow
from handlers.reports.history import History


# -- what an event resolves to (the routing table's keys) -----------------------------------
@dataclass(frozen=True)
class StalePress:
    """A button of a keyboard that is no longer the question being asked."""


@dataclass(frozen=True)
class RunCommand:
    command: Command
    route: CommandRoute


@dataclass(frozen=True)
class RunCode:
    code: Code


@dataclass(frozen=True)
class HostAnswer:
    """The answer to the host question being asked (a number, a label or a press)."""

    pending: Pending


@dataclass(frozen=True)
class TextReply:
    """The text a use case's free-text question waits for."""

    pending: Pending
    answer: TextAnswer


@dataclass(frozen=True)
class Redeem:
    text: str


@dataclass(frozen=True)
class NotEnrolled:
    """Someone without a role wrote something other than a code."""


@dataclass(frozen=True)
class DraftStep:
    input: Input


@dataclass(frozen=True)
class Idle:
    """Enrolled, no draft, and nothing the bot can act on."""


Resolved = (StalePress | Unsupported | RunCommand | RunCode | HostAnswer | TextReply | Redeem
            | NotEnrolled | UnknownCommand | DraftStep | Idle)


@dataclass(frozen=True)
class Context:
    """The event, and the draft as it stood when it arrived: an aside (a code, /lichsu)
    shows that draft's question again afterwards, never a draft the aside started."""

    event: InboundEvent
    session: Session | None


Route = Callable[[Turn, Any, Context], Awaitable[None]]


class Dispatcher:
    def __init__(
        self,
        catalog: FormCatalog,
        flow: ReportFlow,
        enrolment: Enrolment,
        history: History,
        linking: Linking,
        codes: ReplyCodeGrammar,
    ) -> None:
        self.catalog = catalog
        self.flow = flow
        self.enrolment = enrolment
        # Use cases register the commands they answer (/diemnong), what their reply codes do
        # (incidents: acknowledge, resolve...) and the questions they ask (``asking``).
        self.commands: Registry[str, CommandRoute] = Registry("command")
        self.actions: Registry[str, ActionRoute] = Registry("reply code")
        self.asking = HostQuestions(flow)
        self.classifier = Classifier(catalog.commands, catalog.navigation, codes,
                                     self.actions.keys())
        self.routes: Registry[type[Any], Route] = Registry("intent")
        for kind, route in (
            (StalePress, self._stale), (Unsupported, self._unsupported),
            (RunCommand, self._run_command), (RunCode, self._run_code),
            (HostAnswer, self._host_answer), (TextReply, self._text_reply),
            (Redeem, self._redeem), (NotEnrolled, self._not_enrolled),
            (UnknownCommand, self._unknown), (DraftStep, self._draft_step), (Idle, self._idle),
        ):
            self.routes.add(kind, route)
        # The conversation's own commands and questions, through the same registries.
        own = OwnCommands(catalog, flow, enrolment, history, linking, codes, self.asking,
                          self.actions)
        self.commands.update_from(own.commands)
        self.asking.questions.update_from(own.questions)
        self.add_actions(linking.actions, "anyone")

    # -- registration (bot/app.py) ------------------------------------------------------------
    def add_command(self, name: str, handler: CommandHandler, *,
                    answer_in_draft: bool = False) -> None:
        self.commands.add(name, CommandRoute(handler, answer_in_draft=answer_in_draft))

    def add_commands(self, commands: dict[str, Callable[[Turn], Awaitable[None]]], *,
                     answer_in_draft: frozenset[str] = frozenset()) -> None:
        """Commands that take no argument."""
        for name, handler in commands.items():
            self.add_command(name, no_arg(handler), answer_in_draft=name in answer_in_draft)

    def add_actions(self, actions: dict[str, ReplyAction], audience: Audience) -> None:
        for action, handler in actions.items():
            self.actions.add(action, ActionRoute(handler, audience))

    def check_vocabulary(self) -> None:
        """Every command word in bot/forms/commands.yaml has a handler (checked at start-up:
        a word without one would be taken and silently do nothing)."""
        missing = sorted(set(self.catalog.commands.names) - set(self.commands))
        if missing:
            raise ValueError(f"commands without a handler: {', '.join(missing)}")

    # -- one event ----------------------------------------------------
    async def dispatch(self, turn: Turn, event: InboundEvent) -> None:
        reading = self.classifier.read(event)
        context = Context(event, turn.draft.session)
        resolved = await self.resolve(turn, reading)
        await self.routes[type(resolved)](turn, resolved, context)

    async def resolve(self, turn: Turn, reading: Reading) -> Resolved:
        """Which reading counts, for this person in this state."""
        first = reading.first
        press = reading.event.choice
        if press is not None and not await self._press_is_current(turn, press):
            return StalePress()  # an old keyboard, or one from a finished report
        if isinstance(first, Unsupported):
            return first
        command = self._command(turn, reading)
        if command is not None and command.route.everyone:
            return command
        pending = await self._take_pending(turn, reading, command)
        if pending is not None:
            return pending
        code = reading.code if command is None else None
        if code is not None and self.actions[code.code.action].audience == "anyone":
            return RunCode(code)
        if not await turn.enrolled():
            invite = reading.find(InviteCode)
            return Redeem(invite.text) if isinstance(invite, InviteCode) else NotEnrolled()
        if code is not None and await self._may_use(turn, code):
            return RunCode(code)
        return command or self._otherwise(turn, reading.without(Code, Command))

    def _command(self, turn: Turn, reading: Reading) -> RunCommand | None:
        command = reading.command
        route = self.commands.get(command.name) if command is not None else None
        if command is None or route is None:
            return None
        if turn.draft.session is not None and route.answer_in_draft:
            return None  # the words are the draft's answer
        return RunCommand(command, route)

    async def _take_pending(self, turn: Turn, reading: Reading,
                            command: RunCommand | None) -> Resolved | None:
        """A host question takes the next answer; a command or a code instead drops it."""
        pending = turn.draft.pending
        if pending is None:
            return None
        await turn.save_draft(turn.draft.asking(None))
        answer = self.asking.text_answers.get(pending.kind)
        if command is not None:
            return None
        if answer is None:
            return HostAnswer(pending)
        return TextReply(pending, answer) if reading.code is None else None

    async def _may_use(self, turn: Turn, code: Code) -> bool:
        """A typed code counts for the people it is shown to; a chair's typed answer that
        happens to look like an officials' code is an answer, and so is, inside a draft, a
        typed sentence that reads like a code with a note ("bổ sung 5 người ..." describing
        what happened is not a hot-spot update)."""
        if code.pressed:
            return True
        if code.code.note is not None and turn.draft.session is not None:
            return False
        if self.actions[code.code.action].audience == "chairs":
            return True
        return any(m.role in OFFICIAL_ROLES for m, _ in await turn.memberships())

    def _otherwise(self, turn: Turn, intent: Intent) -> Resolved:
        if isinstance(intent, UnknownCommand):
            return intent
        if turn.draft.session is not None:
            return DraftStep(draft_input(intent))
        if isinstance(intent, InviteCode) and intent.strict:
            return Redeem(intent.text)
        return Idle()

    async def _press_is_current(self, turn: Turn, press: tuple[int, str]) -> bool:
        """A press counts only on the keyboard of the question being asked now."""
        version, _ = press
        pending = turn.draft.pending
        if pending is not None and pending.kind not in self.asking.text_answers:
            return await self.asking.is_current(turn, pending, press)
        session = turn.draft.session
        return session is not None and version == session.version

    # -- routes ----------------------------------------------------
    async def _stale(self, turn: Turn, _: StalePress, ctx: Context) -> None:
        turn.notice = Msg("button.stale")

    async def _unsupported(self, turn: Turn, intent: Unsupported, ctx: Context) -> None:
        """What the bot can take instead, specific to what was sent where there is a text."""
        key = f"input.unsupported.{intent.kind}"
        await turn.say(Msg(key if key in turn.translator.messages(turn.lang)
                           else "input.unsupported"))
        if turn.draft.pending is None:
            await self._resume(turn, ctx)

    async def _run_command(self, turn: Turn, run: RunCommand, ctx: Context) -> None:
        await run.route.handler(turn, run.command.arg)
        if run.route.resume:
            await self._resume(turn, ctx)

    async def _run_code(self, turn: Turn, run: RunCode, ctx: Context) -> None:
        await self.actions[run.code.code.action].handler(turn, run.code.code)
        await self._resume(turn, ctx)

    async def _host_answer(self, turn: Turn, asked: HostAnswer, ctx: Context) -> None:
        await self.asking.answer(turn, asked.pending, ctx.event)

    async def _text_reply(self, turn: Turn, reply: TextReply, ctx: Context) -> None:
        await reply.answer(turn, {**reply.pending.data, "kind": reply.pending.kind}, ctx.event)
        await self._resume(turn, ctx)

    async def _redeem(self, turn: Turn, redeem: Redeem, ctx: Context) -> None:
        await self.enrolment.redeem(turn, redeem.text)

    async def _not_enrolled(self, turn: Turn, _: NotEnrolled, ctx: Context) -> None:
        await turn.say(Msg("enrol.not_enrolled"))

    async def _unknown(self, turn: Turn, _: UnknownCommand, ctx: Context) -> None:
        await turn.say(Msg("command.unknown"))
        await self._resume(turn, ctx)

    async def _draft_step(self, turn: Turn, step: DraftStep, ctx: Context) -> None:
        assert turn.draft.session is not None and turn.conversation is not None
        await self.flow.step(turn, turn.conversation, turn.draft.session, step.input)

    async def _idle(self, turn: Turn, _: Idle, ctx: Context) -> None:
        await turn.say(Msg("idle.hint"))

    async def _resume(self, turn: Turn, ctx: Context) -> None:
        """Show the draft's question again: the one the event interrupted, never a draft
        the aside started."""
        if ctx.session is not None:
            await self.flow.resume(turn, ctx.session)
