"""Routing one inbound event: commands, enrolment, short host questions, or the draft."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.channels.base import InboundEvent, Option, OutboundMessage
from bot.engine.answers import match_choice
from bot.engine.commands import ParsedCommand
from bot.engine.form import Choice
from bot.engine.inputs import CommandInput
from bot.engine.messages import Msg
from bot.engine.session import Session
from bot.forms import FormCatalog
from handlers.enrolment import Enrolment, looks_like_code
from handlers.event_input import to_input
from handlers.history import History
from handlers.linking import Linking
from handlers.reply_codes import ReplyAction, ReplyCode, ReplyCodeGrammar
from handlers.reports import CONTEXT, TIMERS, ReportFlow, draft_context, draft_target, draft_timers
from handlers.turn import OFFICIAL_ROLES, Turn
from storage.models import Conversation, OrgUnit

RAPID_FORM = "bao_cao_nhanh"

# A use case's answer to a free-text question it asked (an incident note...).
TextAnswer = Callable[[Turn, dict[str, Any], InboundEvent], Awaitable[None]]
CommandHandler = Callable[[Turn], Awaitable[None]]
# A command that reads what follows it ("/xuat 2026-10").
ArgCommandHandler = Callable[[Turn, str | None], Awaitable[None]]


class HostQuestion(Protocol):
    """A use case's short numbered question outside a draft (which periodic report...)."""

    async def choices(self, turn: Turn, pending: dict[str, Any]) -> list[Choice]: ...

    async def answer(self, turn: Turn, pending: dict[str, Any], key: str) -> None: ...


class Dispatcher:
    def __init__(
        self,
        catalog: FormCatalog,
        flow: ReportFlow,
        enrolment: Enrolment,
        history: History,
        linking: Linking,
        codes: ReplyCodeGrammar,
        reply_actions: dict[str, ReplyAction] | None = None,
    ) -> None:
        self.catalog = catalog
        self.flow = flow
        self.enrolment = enrolment
        self.history = history
        self.linking = linking
        self.codes = codes
        # Use cases register what their reply codes do (incidents: acknowledge, resolve...),
        # the commands they answer (/diemnong) and the free-text questions they ask.
        self.reply_actions: dict[str, ReplyAction] = dict(reply_actions or {})
        self.command_handlers: dict[str, CommandHandler] = {}
        self.arg_commands: dict[str, ArgCommandHandler] = {}
        self.text_answers: dict[str, TextAnswer] = {}
        self.questions: dict[str, HostQuestion] = {}
        # Commands a draft takes as a typed answer instead ("không có gì mới" is also a
        # plausible answer to a free-text question).
        self.answer_in_draft: set[str] = set()
        # Reply actions for chairs (reminder buttons); officials' help lists the others.
        self.chair_actions: set[str] = set()
        # Reply actions anyone may use, enrolled or not (answering a link request).
        self.open_actions: set[str] = set(linking.actions)
        self.reply_actions.update(linking.actions)

    async def dispatch(self, turn: Turn, event: InboundEvent) -> None:  # noqa: C901
        text = event.text
        cmd = self.catalog.commands.parse(text) if text else None
        conv = turn.conversation
        state: dict[str, Any] = dict(conv.state or {}) if conv else {}
        session = Session.from_dict(state["session"]) if "session" in state else None
        pending = state.get("pending")

        if event.choice is not None and not await self._press_is_current(
            turn, event.choice, session, pending
        ):
            # An old keyboard, or one from a finished report: refuse it, change nothing.
            turn.notice = Msg("button.stale")
            return
        if event.unsupported is not None:
            await turn.say(self._unsupported(turn, event.unsupported))
            if session is not None and pending is None:
                await self.flow.resume(turn, session)
            return
        if cmd is not None and session is not None and cmd.name in self.answer_in_draft:
            cmd = None
        if cmd is not None and cmd.name in ("start", "help", "language", "link"):
            await self._everyone(turn, cmd, conv, session)
            return
        if pending is not None and conv is not None:
            await self._save_pending(turn, conv, session, None)
            answer = self.text_answers.get(pending["kind"])
            if cmd is None and answer is None:
                await self._answer_pending(turn, conv, session, pending, event)
                return
            if cmd is None and answer is not None and self._parse_code(event) is None:
                await answer(turn, pending, event)
                if session is not None:
                    await self.flow.resume(turn, session)
                return
            # A command or another code instead of the answer: the question is dropped.
        if cmd is None and await self._open_code(turn, event, session):
            return
        if not await turn.enrolled():
            if text and looks_like_code(text, strict=False):
                await self.enrolment.redeem(turn, text)
            else:
                await turn.say(Msg("enrol.not_enrolled"))
            return
        if cmd is None and await self._reply_code(turn, event, session):
            return
        if cmd is not None:
            await self._command(turn, cmd, conv, session)
        elif text and self.catalog.commands.is_unknown_slash(text):
            await turn.say(Msg("command.unknown"))
            if session:
                await self.flow.resume(turn, session)
        elif session is not None and conv is not None:
            await self.flow.step(turn, conv, session, to_input(event, self.catalog.navigation))
        elif text and looks_like_code(text, strict=True):
            await self.enrolment.redeem(turn, text)
        else:
            await turn.say(Msg("idle.hint"))

    # -- commands -----------------------------------------------------------------------
    async def _everyone(
        self, turn: Turn, cmd: ParsedCommand, conv: Conversation | None, session: Session | None
    ) -> None:
        if cmd.name == "start" and cmd.arg:
            await self.enrolment.redeem(turn, cmd.arg)
        elif cmd.name == "start":
            await self._welcome(turn)
        elif cmd.name == "help":
            await self._help(turn)
        elif cmd.name == "link" and cmd.arg:
            await self.linking.redeem(turn, cmd.arg)
            return  # the person may now be another, with their own draft
        elif cmd.name == "link":
            await self.linking.offer(turn)
        elif cmd.name == "language":
            if cmd.arg:
                key, err = match_choice(cmd.arg, self.catalog.languages)
                if err is None and key is not None:
                    await self._set_language(turn, key)
                else:
                    await self._ask_pending(turn, conv, session, {"kind": "language"})
                    return
            else:
                await self._ask_pending(turn, conv, session, {"kind": "language"})
                return
        if session is not None:
            await self.flow.resume(turn, session)

    async def _command(
        self, turn: Turn, cmd: ParsedCommand, conv: Conversation | None, session: Session | None
    ) -> None:
        if cmd.name == "report":
            if session is not None:
                switch = {"kind": "switch", "form": RAPID_FORM}
                await self._ask_pending(turn, conv, session, switch)
            else:
                await self._start_report(turn, conv, RAPID_FORM)
        elif cmd.name == "history":
            await self.history.show(turn)
            if session is not None:
                await self.flow.resume(turn, session)
        elif cmd.name in self.command_handlers or cmd.name in self.arg_commands:
            if cmd.name in self.arg_commands:
                await self.arg_commands[cmd.name](turn, cmd.arg)
            else:
                await self.command_handlers[cmd.name](turn)
            if session is not None:
                await self.flow.resume(turn, session)
        elif cmd.name == "cancel":
            if session is not None and conv is not None:
                await self.flow.step(turn, conv, session, CommandInput("cancel"))
            else:
                await turn.say(Msg("cancel.nothing"))

    async def _start_report(self, turn: Turn, conv: Conversation | None, form_id: str) -> None:
        units = [unit for m, unit in await turn.memberships() if m.role == "chair"]
        if not units:
            await turn.say(Msg("report.chairs_only"))
        elif len(units) == 1:
            await self.flow.start(turn, form_id, units[0], conv)
        else:
            pending = {"kind": "unit", "form": form_id, "units": [u.id for u in units]}
            await self._ask_pending(turn, conv, None, pending)

    async def _reply_code(self, turn: Turn, event: InboundEvent, session: Session | None) -> bool:
        """An action typed as a code ("TN 12") or pressed as its button; False if not one."""
        code = self._parse_code(event)
        if code is None:
            return False
        if event.code is None and code.action not in self.chair_actions and not any(
            m.role in OFFICIAL_ROLES for m, _ in await turn.memberships()
        ):
            return False  # a chair's typed answer that happens to look like a code
        await self.reply_actions[code.action](turn, code)
        if session is not None:
            await self.flow.resume(turn, session)
        return True

    async def _open_code(self, turn: Turn, event: InboundEvent, session: Session | None) -> bool:
        """A reply code anyone may use ("LK 12"), typed or pressed; False if not one."""
        code = self._parse_code(event)
        if code is None or code.action not in self.open_actions:
            return False
        await self.reply_actions[code.action](turn, code)
        if session is not None:
            await self.flow.resume(turn, session)
        return True

    def _parse_code(self, event: InboundEvent) -> ReplyCode | None:
        """A registered reply code, pressed or typed; None if the event is not one."""
        source = event.code or event.text
        code = self.codes.parse(source) if source else None
        return code if code is not None and code.action in self.reply_actions else None

    async def ask_choice(self, turn: Turn, pending: dict[str, Any]) -> None:
        """Ask a registered host question (``questions``); its answer comes to the use case."""
        conv = await self._conversation(turn)
        state = conv.state or {}
        session = Session.from_dict(state["session"]) if "session" in state else None
        await self._ask_pending(turn, conv, session, pending)

    async def ask_text(self, turn: Turn, prompt: Msg, pending: dict[str, Any]) -> None:
        """Ask a use case's free-text question; the next text is its answer (text_answers)."""
        await turn.say(prompt)
        conv = await self._conversation(turn)
        state = conv.state or {}
        session = Session.from_dict(state["session"]) if "session" in state else None
        await self._save_pending(turn, conv, session, pending)

    def _unsupported(self, turn: Turn, kind: str) -> Msg:
        """What the bot can take instead, specific to what was sent where there is a text."""
        key = f"input.unsupported.{kind}"
        return Msg(key if key in turn.translator.messages(turn.lang) else "input.unsupported")

    # -- short host questions (language, switch drafts, which unit) ------------------------
    async def _pending_choices(self, turn: Turn, pending: dict[str, Any],
                               units: list[OrgUnit]) -> list[Choice]:
        if pending["kind"] in self.questions:
            return await self.questions[pending["kind"]].choices(turn, pending)
        if pending["kind"] == "language":
            return list(self.catalog.languages)
        if pending["kind"] == "switch":
            return list(self.catalog.draft_switch)
        return [Choice(str(u.id), {"vi": u.name}, (u.code,)) for u in units]

    async def _ask_pending(
        self,
        turn: Turn,
        conv: Conversation | None,
        session: Session | None,
        pending: dict[str, Any],
        error: Msg | None = None,
    ) -> None:
        units = await self._pending_units(turn, pending)
        choices = await self._pending_choices(turn, pending, units)
        lines = [turn.t(error)] if error else []
        lines.append(turn.t(Msg(f"pending.{pending['kind']}")))
        # Host questions number their keyboards below zero, apart from the draft's steps,
        # by the time they were drawn, so an older host keyboard never answers a newer one.
        pending = {**pending, "version": -int(turn.now.timestamp() * 1000)}
        await turn.reply(
            OutboundMessage(
                text="\n".join(lines),
                choices=tuple(Option(c.key, c.text(turn.lang)) for c in choices),
                version=pending["version"],
                number_hint=turn.t(Msg("ask.number_hint", count=len(choices))),
            )
        )
        conv = conv or await self._conversation(turn)
        await self._save_pending(turn, conv, session, pending)

    async def _conversation(self, turn: Turn) -> Conversation:
        """The person's draft row, made empty if they have none (a host question needs it)."""
        if turn.conversation is None:
            turn.conversation = await turn.uow.conversations.save(
                turn.person.id, identity_id=turn.identity.id, unit_id=None, form_id=None,
                state=None, now=turn.now,
            )
        return turn.conversation

    async def _answer_pending(  # noqa: C901
        self,
        turn: Turn,
        conv: Conversation,
        session: Session | None,
        pending: dict[str, Any],
        event: InboundEvent,
    ) -> None:
        units = await self._pending_units(turn, pending)
        choices = await self._pending_choices(turn, pending, units)
        key: str | None = None
        error: Msg | None = Msg("error.choice_unknown", count=len(choices))
        if event.choice is not None:
            key = event.choice[1] if event.choice[1] in {c.key for c in choices} else None
        elif event.text is not None:
            key, error = match_choice(event.text, choices)
        if key is None:
            await self._ask_pending(turn, conv, session, pending, error)
            return
        kind = pending["kind"]
        if kind in self.questions:
            await self.questions[kind].answer(turn, pending, key)
            if session is not None:
                await self.flow.resume(turn, session)
        elif kind == "language":
            await self._set_language(turn, key)
            if session is not None:
                await self.flow.resume(turn, session)
        elif kind == "switch" and key == "tiep_tuc" and session is not None:
            await self.flow.resume(turn, session)
        elif kind == "switch":
            await turn.uow.fires.cancel_target(draft_target(conv.id))
            await turn.say(Msg("draft.discarded"))
            await self._start_report(turn, conv, pending["form"])
        elif kind == "unit":
            unit = next(u for u in units if str(u.id) == key)
            await self.flow.start(turn, pending["form"], unit, conv)

    async def _press_is_current(
        self,
        turn: Turn,
        choice: tuple[int, str],
        session: Session | None,
        pending: dict[str, Any] | None,
    ) -> bool:
        """A press counts only on the keyboard of the question being asked now."""
        version, key = choice
        if pending is not None and pending["kind"] not in self.text_answers:
            if version != pending.get("version"):
                return False
            units = await self._pending_units(turn, pending)
            return key in {c.key for c in await self._pending_choices(turn, pending, units)}
        return session is not None and version == session.version

    async def _pending_units(self, turn: Turn, pending: dict[str, Any]) -> list[OrgUnit]:
        if pending["kind"] != "unit":
            return []
        ids = set(pending["units"])
        return [u for m, u in await turn.memberships() if m.role == "chair" and u.id in ids]

    async def _save_pending(
        self,
        turn: Turn,
        conv: Conversation,
        session: Session | None,
        pending: dict[str, Any] | None,
    ) -> None:
        state: dict[str, Any] = {}
        if session is not None:
            state["session"] = session.to_dict()
            state[TIMERS] = draft_timers(conv.state)
            if draft_context(conv.state):
                state[CONTEXT] = draft_context(conv.state)
        if pending is not None:
            state["pending"] = pending
        await turn.uow.conversations.save(
            turn.person.id,
            identity_id=turn.identity.id,
            unit_id=conv.unit_id if session else None,
            form_id=conv.form_id if session else None,
            state=state or None,
            now=turn.now,
            current=conv,
        )

    # -- small answers ------------------------------------------------------------------
    async def _set_language(self, turn: Turn, lang: str) -> None:
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
        official_actions = [a for a in self.reply_actions
                            if a not in self.chair_actions and a not in self.open_actions]
        if official_actions and any(m.role in OFFICIAL_ROLES for m, _ in members):
            # Zalo has no buttons: the actions on alerts are typed as short codes.
            lines = self.codes.help_lines(turn.t, official_actions)
            await turn.say(Msg("help.codes", lines=lines))
