"""The conversation's own commands, registered like any use case's: /start, /help,
/language, /link, /baocao, /lichsu and /huy, and the short questions they ask (which
language, continue or discard the open draft, which unit a chair of several reports for)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.engine.answers import match_choice
from bot.engine.form import Choice
from bot.engine.inputs import CommandInput
from bot.engine.messages import Msg
from bot.forms import FormCatalog
from handlers.conversation.draft_state import DraftState, Pending, draft_target
from handlers.conversation.questions import HostQuestion, HostQuestions
from handlers.conversation.reply_codes import ReplyCodeGrammar
from handlers.conversation.routes import ActionRoute, CommandRoute
from handlers.conversation.turn import OFFICIAL_ROLES, Turn
from handlers.people.enrolment import Enrolment
from handlers.people.linking import Linking
from handlers.reports.flow import ReportFlow
from handlers.reports.history import History
from storage.models import OrgUnit

RAPID_FORM = "bao_cao_nhanh"


class OwnCommands:
    def __init__(
        self, catalog: FormCatalog, flow: ReportFlow, enrolment: Enrolment, history: History,
        linking: Linking, codes: ReplyCodeGrammar, asking: HostQuestions,
        actions: Mapping[str, ActionRoute],
    ) -> None:
        self.catalog = catalog
        self.flow = flow
        self.enrolment = enrolment
        self.history = history
        self.linking = linking
        self.codes = codes
        self.asking = asking
        self.actions = actions  # every reply code (the officials' are listed in /help)

    @property
    def commands(self) -> dict[str, CommandRoute]:
        return {
            "start": CommandRoute(self._start, everyone=True),
            "help": CommandRoute(self._help_command, everyone=True),
            "language": CommandRoute(self._language, everyone=True, resume=False),
            "link": CommandRoute(self._link, everyone=True, resume=False),
            "report": CommandRoute(self._report, resume=False),
            "history": CommandRoute(self._history),
            "cancel": CommandRoute(self._cancel, resume=False),
        }

    @property
    def questions(self) -> dict[str, HostQuestion]:
        return {"language": _Language(self), "switch": _Switch(self),
                "unit": _UnitChoice(self)}

    async def resume(self, turn: Turn) -> None:
        if turn.draft.session is not None:
            await self.flow.resume(turn, turn.draft.session)

    # -- the commands ---------------------------------------------------------------------------
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
            await self.resume(turn)
        else:
            await self.asking.ask(turn, Pending("language"))

    async def _link(self, turn: Turn, arg: str | None) -> None:
        if arg:
            await self.linking.redeem(turn, arg)  # the person may now be another
            return
        await self.linking.offer(turn)
        await self.resume(turn)

    async def _report(self, turn: Turn, arg: str | None) -> None:
        if turn.draft.session is not None:
            await self.asking.ask(turn, Pending("switch", {"form": RAPID_FORM}))
        else:
            await self.start_report(turn, RAPID_FORM)

    async def _history(self, turn: Turn, arg: str | None) -> None:
        await self.history.show(turn, arg)

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
            await self.asking.ask(turn, Pending("unit", {"form": form_id,
                                                         "units": [u.id for u in units]}))

    # -- small answers --------------------------------------------------------------------------
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


class _Language:
    def __init__(self, own: OwnCommands) -> None:
        self.own = own

    async def choices(self, turn: Turn, pending: dict[str, Any]) -> list[Choice]:
        return list(self.own.catalog.languages)

    async def answer(self, turn: Turn, pending: dict[str, Any], key: str) -> None:
        await self.own.set_language(turn, key)
        await self.own.resume(turn)


class _Switch:
    """A new report while a draft is open: continue the draft, or discard it."""

    def __init__(self, own: OwnCommands) -> None:
        self.own = own

    async def choices(self, turn: Turn, pending: dict[str, Any]) -> list[Choice]:
        return list(self.own.catalog.draft_switch)

    async def answer(self, turn: Turn, pending: dict[str, Any], key: str) -> None:
        if key == "tiep_tuc" and turn.draft.session is not None:
            await self.own.resume(turn)
            return
        assert turn.conversation is not None
        await turn.uow.fires.cancel_target(draft_target(turn.conversation.id))
        await turn.say(Msg("draft.discarded"))
        turn.drafted(turn.conversation, DraftState())  # the next save replaces the draft
        await self.own.start_report(turn, pending["form"])


class _UnitChoice:
    """A chair of several units: which one the report is for."""

    def __init__(self, own: OwnCommands) -> None:
        self.own = own

    async def _units(self, turn: Turn, pending: dict[str, Any]) -> list[OrgUnit]:
        ids = set(pending["units"])
        return [u for m, u in await turn.memberships() if m.role == "chair" and u.id in ids]

    async def choices(self, turn: Turn, pending: dict[str, Any]) -> list[Choice]:
        return [Choice(str(u.id), {"vi": u.name}, (u.code,))
                for u in await self._units(turn, pending)]

    async def answer(self, turn: Turn, pending: dict[str, Any], key: str) -> None:
        unit = next(u for u in await self._units(turn, pending) if str(u.id) == key)
        await self.own.flow.start(turn, pending["form"], unit, turn.conversation)
