"""/chidao in the chat: an official writes a directive (a short form, confirmed on its card)
or reads one's figures and overdue list ("/chidao 12"); a chair sees the directives waiting
for the unit's answer, with their codes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any

from bot.engine import effects as fx
from bot.engine.form import Choice
from bot.engine.messages import Msg
from bot.policy import DirectiveRule
from handlers.conversation.questions import HostQuestion
from handlers.conversation.turn import OFFICIAL_ROLES, Turn
from handlers.directives.figures import figures_of, lines
from handlers.directives.messages import DirectiveTexts, day
from handlers.directives.publishing import (
    Actor,
    Publishing,
    Refused,
    Written,
    manages,
    official_units,
)
from handlers.reports.flow import ReportFlow
from handlers.reports.page import NotYours
from storage.repositories.directives import OWING

AskChoice = Callable[[Turn, dict[str, Any]], Awaitable[None]]
FORM = "chi_dao"
UNIT_QUESTION = "directive_unit"
LISTED = 10  # directives a chair's /chidao lists


class DirectiveDesk:
    def __init__(self, flow: ReportFlow, publishing: Publishing, texts: DirectiveTexts,
                 rule: DirectiveRule, ask_choice: AskChoice) -> None:
        self.flow = flow
        self.ask_choice = ask_choice
        self.publishing = publishing
        self.texts = texts
        self.rule = rule
        self.questions: dict[str, HostQuestion] = {UNIT_QUESTION: _UnitChoice(self)}

    async def command(self, turn: Turn, arg: str | None) -> None:
        roles = await turn.memberships()
        if arg is not None and arg.isdigit():
            await self.show(turn, int(arg))
        elif any(m.role in OFFICIAL_ROLES for m, _ in roles):
            await self.compose(turn)
        elif any(m.role == "chair" for m, _ in roles):
            await self.waiting(turn)
        else:
            await turn.say(Msg("directive.nothing_for_you"))

    # -- officials ----------------------------------------------------------------------------
    async def compose(self, turn: Turn) -> None:
        units = await official_units(turn.uow, turn.person.id)
        if turn.draft.session is not None:
            await turn.say(Msg("directive.draft_open"))
        elif len(units) == 1:
            await self.flow.start(turn, FORM, units[0], turn.conversation)
        else:
            await self.ask_choice(turn, {"kind": UNIT_QUESTION, "units": [u.id for u in units]})

    async def submitted(self, turn: Turn, unit_id: int, done: fx.Submitted,
                        context: Mapping[str, Any]) -> None:
        """The chat's directive form, confirmed on its card: written and sent at once."""
        a = done.answers
        written = Written(str(a["tieu_de"]), str(a["noi_dung"]),
                          date.fromisoformat(str(a["han"])), str(a["yeu_cau"]))
        actor = Actor(turn.person.id, turn.identity.id, turn.identity.channel)
        try:
            directive = await self.publishing.write(turn.uow, actor, unit_id, written,
                                                    turn.now)
            count = await self.publishing.publish(turn.uow, actor, directive.id, turn.now)
        except NotYours:
            await turn.say(Msg("directive.not_yours"))
            return
        except Refused as refused:
            await turn.say(refused.msg)
            return
        await turn.say(Msg("directive.published_ok", number=directive.id, units=count,
                           due=day(directive.due_on)))

    async def show(self, turn: Turn, directive_id: int) -> None:
        """A directive's figures over the person's subtree and its overdue list; a chair
        sees their own unit's row."""
        units = await official_units(turn.uow, turn.person.id)
        directive = await turn.uow.directives.get(directive_id)
        issuer = await turn.uow.units.get(directive.unit_id) if directive else None
        paths = [u.path for u in units]
        visible = directive is not None and issuer is not None and directive.status != "draft" \
            and (manages(units, issuer) or bool(await turn.uow.directives.ledger(
                directive.id, paths) if paths else []))
        if not visible or directive is None:
            await self.waiting(turn, directive_id)
            return
        today = turn.local_now.date()
        scope = None if manages(units, issuer) else paths  # type: ignore[arg-type]
        figures = await figures_of(turn.uow, directive, scope, today, self.rule)
        text = lines(turn.t, figures)
        if directive.status == "withdrawn":
            text.append(turn.t(Msg("directive.is_withdrawn")))
        owing = [r.unit.name for r in await turn.uow.directives.ledger(directive.id, scope)
                 if r.recipient.state in OWING[directive.asks]]
        if owing and directive.due_on < today:
            text.append(turn.t(Msg("directive.overdue_list", count=len(owing),
                                   names="\n".join(f"• {n}" for n in owing))))
        await turn.say(Msg("directive.figures_body", lines="\n".join(text)))

    # -- chairs -------------------------------------------------------------------------------
    async def waiting(self, turn: Turn, only: int | None = None) -> None:
        chairs = [u.id for m, u in await turn.memberships() if m.role == "chair"]
        rows = [(r, d, u) for r, d, u in await turn.uow.directives.of_units(chairs)
                if only is None or d.id == only]
        if only is not None and not rows:
            await turn.say(Msg("directive.not_yours"))
            return
        if not rows:
            await turn.say(Msg("directive.none_waiting"))
            return
        out = []
        for row, directive, unit in rows[:LISTED]:
            state = turn.t(Msg(f"directive.state_{row.state}"))
            codes = " · ".join(f"{self.texts.codes.verbs[a].code} {row.id}"
                               for a in self.texts.actions(directive, row.state)
                               if row.state in OWING[directive.asks])
            out.append(turn.t(Msg("directive.waiting_line", number=directive.id,
                                  title=directive.title, unit=unit.name, state=state,
                                  due=day(directive.due_on), codes=codes or "–")))
        await turn.say(Msg("directive.waiting", lines="\n".join(out)))


class _UnitChoice:
    """An official of several units: which one the directive is written for."""

    def __init__(self, desk: DirectiveDesk) -> None:
        self.desk = desk

    async def choices(self, turn: Turn, pending: dict[str, Any]) -> list[Choice]:
        ids = set(pending["units"])
        return [Choice(str(u.id), {"vi": u.name}, (u.code,))
                for u in await official_units(turn.uow, turn.person.id) if u.id in ids]

    async def answer(self, turn: Turn, pending: dict[str, Any], key: str) -> None:
        unit = next(u for u in await official_units(turn.uow, turn.person.id)
                    if str(u.id) == key)
        await self.desk.flow.start(turn, FORM, unit, turn.conversation)
