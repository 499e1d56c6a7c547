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
from typing import Any, Literal, Protocol

from bot.channels.base import InboundEvent, Option, OutboundMessage
from bot.engine.answers import match_choice
from bot.engine.form import Choice
from bot.engine.inputs import CommandInput, Input
from bot.engine.messages import Msg
from bot.engine.registry import Registry
from bot.engine.session import Session
from bot.forms import FormCatalog
from handlers.conversation.draft_state import DraftState, Pending, draft_target
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
from handlers.conversation.reply_codes import ReplyAction, ReplyCodeGrammar
from handlers.conversation.turn import OFFICIAL_ROLES, Turn
from handlers.people.enrolment import Enrolment
from handlers.people.linking import Linking
from handlers.reports.flow import ReportFlow
from handlers.reports.history import History
from storage.models import OrgUnit

RAPID_FORM = "bao_cao_nhanh"

# A use case's answer to a free-text question it asked (an incident note...).
TextAnswer = Callable[[Turn, dict[str, Any], InboundEvent], Awaitable[None]]
# A command and what follows it ("/xuat 2026-10": "2026-10"; None when nothing does).
CommandHandler = Callable[[Turn, str | None], Awaitable[None]]
# Who may use a reply code: the officials it is shown to, chairs (reminder buttons), anyone
# (answering a link request, enrolled or not).
Audience = Literal["officials", "chairs", "anyone"]


class HostQuestion(Protocol):
    """A use case's short numbered question outside a draft (which periodic report...)."""

    async def choices(self, turn: Turn, pending: dict[str, Any]) -> list[Choice]: ...

    async def answer(self, turn: Turn, pending: dict[str, Any], key: str) -> None: ...


@dataclass(frozen=True)
class CommandRoute:
    handler: CommandHandler
    # Open to people without a role (/start, /help, /language, /link).
    everyone: bool = False
    # Inside a draft the words are an answer instead ("không có gì mới").
    answer_in_draft: bool = False
    # Show the draft's question again afterwards.
    resume: bool = True


@dataclass(frozen=True)
class ActionRoute:
    handler: ReplyAction
    audience: Audience


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
        self.history = history
        self.linking = linking
        self.codes = codes
        # Use cases register the commands they answer (/diemnong), what their reply codes do
        # (incidents: acknowledge, resolve...) and the questions they ask.
        self.commands: Registry[str, CommandRoute] = Registry("command")
        self.actions: Registry[str, ActionRoute] = Registry("reply code")
        self.questions: Registry[str, HostQuestion] = Registry("host question")
        self.text_answers: Registry[str, TextAnswer] = Registry("text question")
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
        self._register_own()

    def _register_own(self) -> None:
        """The conversation's own commands and questions, through the same registries."""
        for name, route in (
            ("start", CommandRoute(self._start, everyone=True)),
            ("help", CommandRoute(self._help_command, everyone=True)),
            ("language", CommandRoute(self._language, everyone=True, resume=False)),
            ("link", CommandRoute(self._link, everyone=True, resume=False)),
            ("report", CommandRoute(self._report, resume=False)),
            ("history", CommandRoute(self._history)),
            ("cancel", CommandRoute(self._cancel, resume=False)),
        ):
            self.commands.add(name, route)
        self.questions.add("language", _Language(self))
        self.questions.add("switch", _Switch(self))
        self.questions.add("unit", _UnitChoice(self))
        self.add_actions(self.linking.actions, "anyone")

    # -- registration (bot/app.py) ------------------------------------------------------------
    def add_command(self, name: str, handler: CommandHandler, *,
                    answer_in_draft: bool = False) -> None:
        self.commands.add(name, CommandRoute(handler, answer_in_draft=answer_in_draft))

    def add_commands(self, commands: dict[str, Callable[[Turn], Awaitable[None]]], *,
                     answer_in_draft: frozenset[str] = frozenset()) -> None:
        """Commands that take no argument."""
        for name, handler in commands.items():
            self.add_command(name, _no_arg(handler), answer_in_draft=name in answer_in_draft)

    def add_actions(self, actions: dict[str, ReplyAction], audience: Audience) -> None:
        for action, handler in actions.items():
            self.actions.add(action, ActionRoute(handler, audience))

    def add_question(self, kind: str, question: HostQuestion) -> None:
        """A use case's host question; the draft's question shows again after its answer."""
        self.questions.add(kind, _Resuming(question, self.flow))

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
        answer = self.text_answers.get(pending.kind)
        if command is not None:
            return None
        if answer is None:
            return HostAnswer(pending)
        return TextReply(pending, answer) if reading.code is None else None

    async def _may_use(self, turn: Turn, code: Code) -> bool:
        """A typed code counts for the people it is shown to; a chair's typed answer that
        happens to look like an officials' code is an answer."""
        if code.pressed or self.actions[code.code.action].audience == "chairs":
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
        version, key = press
        pending = turn.draft.pending
        if pending is not None and pending.kind not in self.text_answers:
            if version != pending.version:
                return False
            choices = await self.questions[pending.kind].choices(turn, dict(pending.data))
            return key in {c.key for c in choices}
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
        pending = asked.pending
        question = self.questions[pending.kind]
        data = dict(pending.data)
        choices = await question.choices(turn, data)
        key: str | None = None
        error: Msg | None = Msg("error.choice_unknown", count=len(choices))
        press, text = ctx.event.choice, ctx.event.text
        if press is not None:
            key = press[1] if press[1] in {c.key for c in choices} else None
        elif text is not None:
            key, error = match_choice(text, choices)
        if key is None:
            await self.ask(turn, pending, error)
            return
        await question.answer(turn, data, key)

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

    async def _resume(self, turn: Turn, ctx: Context | None = None) -> None:
        """Show the draft's question again: the one the event interrupted (``ctx``), or
        for a command's own answers the draft as it stands."""
        session = ctx.session if ctx is not None else turn.draft.session
        if session is not None:
            await self.flow.resume(turn, session)

    # -- the conversation's own commands ----------------------------------------------------------
    async def _start(self, turn: Turn, arg: str | None) -> None:
        if arg:
            await self.enrolment.redeem(turn, arg)
        else:
            await self._welcome(turn)

    async def _help_command(self, turn: Turn, arg: str | None) -> None:
        await self._help(turn)

    async def _language(self, turn: Turn, arg: str | None) -> None:
        key, err = match_choice(arg, self.catalog.languages) if arg else (None, None)
        if err is None and key is not None:
            await self.set_language(turn, key)
            await self._resume(turn)
        else:
            await self.ask(turn, Pending("language"))

    async def _link(self, turn: Turn, arg: str | None) -> None:
        if arg:
            await self.linking.redeem(turn, arg)  # the person may now be another
            return
        await self.linking.offer(turn)
        await self._resume(turn)

    async def _report(self, turn: Turn, arg: str | None) -> None:
        if turn.draft.session is not None:
            await self.ask(turn, Pending("switch", {"form": RAPID_FORM}))
        else:
            await self.start_report(turn, RAPID_FORM)

    async def _history(self, turn: Turn, arg: str | None) -> None:
        await self.history.show(turn)

    async def _cancel(self, turn: Turn, arg: str | None) -> None:
        session = turn.draft.session
        if session is not None and turn.conversation is not None:
            await self.flow.step(turn, turn.conversation, session, CommandInput("cancel"))
        else:
            await turn.say(Msg("cancel.nothing"))

    async def start_report(self, turn: Turn, form_id: str) -> None:
        units = [unit for m, unit in await turn.memberships() if m.role == "chair"]
        if not units:
            await turn.say(Msg("report.chairs_only"))
        elif len(units) == 1:
            await self.flow.start(turn, form_id, units[0], turn.conversation)
        else:
            await self.ask(turn, Pending("unit", {"form": form_id,
                                                  "units": [u.id for u in units]}))

    # -- host questions ----------------------------------------------------
    async def ask(self, turn: Turn, pending: Pending, error: Msg | None = None) -> None:
        """Ask a registered host question; its answer comes to the question's ``answer``."""
        choices = await self.questions[pending.kind].choices(turn, dict(pending.data))
        lines = [turn.t(error)] if error else []
        lines.append(turn.t(Msg(f"pending.{pending.kind}")))
        # Host questions number their keyboards below zero, apart from the draft's steps,
        # by the time they were drawn, so an older host keyboard never answers a newer one.
        version = -int(turn.now.timestamp() * 1000)
        await turn.reply(
            OutboundMessage(
                text="\n".join(lines),
                choices=tuple(Option(c.key, c.text(turn.lang)) for c in choices),
                version=version,
                number_hint=turn.t(Msg("ask.number_hint", count=len(choices))),
            )
        )
        await turn.save_draft(turn.draft.asking(Pending(pending.kind, pending.data, version)))

    async def ask_choice(self, turn: Turn, pending: dict[str, Any]) -> None:
        """For use cases: ask their registered question (``pending["kind"]``)."""
        data = {k: v for k, v in pending.items() if k != "kind"}
        await self.ask(turn, Pending(str(pending["kind"]), data))

    async def ask_text(self, turn: Turn, prompt: Msg, pending: dict[str, Any]) -> None:
        """Ask a use case's free-text question; the next text is its answer (text_answers)."""
        await turn.say(prompt)
        data = {k: v for k, v in pending.items() if k != "kind"}
        await turn.save_draft(turn.draft.asking(Pending(str(pending["kind"]), data)))

    # -- small answers ----------------------------------------------------
    async def set_language(self, turn: Turn, lang: str) -> None:
        await turn.uow.people.set_language(turn.person.id, lang)
        turn.person.language = lang
        await turn.say(Msg("language.set"))

    async def _welcome(self, turn: Turn) -> None:
        members = await turn.memberships()
        if not members:
            await turn.say(Msg("welcome.guest"))
            return
        roles = ", ".join(
            turn.t(Msg("welcome.role_line", role=turn.t(Msg(f"role.{m.role}")), unit=u.name))
            for m, u in members
        )
        await turn.say(Msg("welcome.member", roles=roles))
        await self._help(turn)

    async def _help(self, turn: Turn) -> None:
        members = await turn.memberships()
        if not members:
            await turn.say(Msg("help.guest"))
            return
        if any(m.role == "chair" for m, _ in members):
            await turn.say(Msg("help.chair"))
        else:
            await turn.say(Msg("help.official"))
        official_actions = [a for a, route in self.actions.items()
                            if route.audience == "officials"]
        if official_actions and any(m.role in OFFICIAL_ROLES for m, _ in members):
            # Messengers without buttons: the actions on alerts are typed as short codes.
            lines = self.codes.help_lines(turn.t, official_actions)
            await turn.say(Msg("help.codes", lines=lines))


def _no_arg(handler: Callable[[Turn], Awaitable[None]]) -> CommandHandler:
    async def run(turn: Turn, arg: str | None) -> None:
        await handler(turn)

    return run


class _Resuming:
    """A use case's host question: after its answer the draft's question shows again."""

    def __init__(self, question: HostQuestion, flow: ReportFlow) -> None:
        self.question = question
        self.flow = flow

    async def choices(self, turn: Turn, pending: dict[str, Any]) -> list[Choice]:
        return await self.question.choices(turn, pending)

    async def answer(self, turn: Turn, pending: dict[str, Any], key: str) -> None:
        session = turn.draft.session  # the draft the question interrupted, if any
        await self.question.answer(turn, pending, key)
        if session is not None:
            await self.flow.resume(turn, session)


class _Language:
    def __init__(self, router: Dispatcher) -> None:
        self.router = router

    async def choices(self, turn: Turn, pending: dict[str, Any]) -> list[Choice]:
        return list(self.router.catalog.languages)

    async def answer(self, turn: Turn, pending: dict[str, Any], key: str) -> None:
        await self.router.set_language(turn, key)
        await self.router._resume(turn)


class _Switch:
    """A new report while a draft is open: continue the draft, or discard it."""

    def __init__(self, router: Dispatcher) -> None:
        self.router = router

    async def choices(self, turn: Turn, pending: dict[str, Any]) -> list[Choice]:
        return list(self.router.catalog.draft_switch)

    async def answer(self, turn: Turn, pending: dict[str, Any], key: str) -> None:
        if key == "tiep_tuc" and turn.draft.session is not None:
            await self.router._resume(turn)
            return
        assert turn.conversation is not None
        await turn.uow.fires.cancel_target(draft_target(turn.conversation.id))
        await turn.say(Msg("draft.discarded"))
        turn.drafted(turn.conversation, DraftState())  # the next save replaces the draft
        await self.router.start_report(turn, pending["form"])


class _UnitChoice:
    """A chair of several units: which one the report is for."""

    def __init__(self, router: Dispatcher) -> None:
        self.router = router

    async def _units(self, turn: Turn, pending: dict[str, Any]) -> list[OrgUnit]:
        ids = set(pending["units"])
        return [u for m, u in await turn.memberships() if m.role == "chair" and u.id in ids]

    async def choices(self, turn: Turn, pending: dict[str, Any]) -> list[Choice]:
        return [Choice(str(u.id), {"vi": u.name}, (u.code,))
                for u in await self._units(turn, pending)]

    async def answer(self, turn: Turn, pending: dict[str, Any], key: str) -> None:
        unit = next(u for u in await self._units(turn, pending) if str(u.id) == key)
        await self.router.flow.start(turn, pending["form"], unit, turn.conversation)
