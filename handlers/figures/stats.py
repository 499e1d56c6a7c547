"""/thongke: the figures of an official's subtree now, over the last seven days against the
seven before; the same figures, in the same words, as the weekly digest."""

from __future__ import annotations

from datetime import timedelta

from bot.engine.messages import Msg
from bot.policy import DigestRule
from handlers.conversation.turn import OFFICIAL_ROLES, Turn
from handlers.figures.gather import gather
from handlers.figures.text import FiguresText


class StatsDesk:
    def __init__(self, rule: DigestRule, words: FiguresText) -> None:
        self.rule = rule
        self.words = words

    async def show(self, turn: Turn) -> None:
        units = [u for m, u in await turn.memberships() if m.role in OFFICIAL_ROLES]
        if not units:
            await turn.say(Msg("stats.officials_only"))
            return
        week = timedelta(days=7)
        bounds = (turn.now - 2 * week, turn.now - week, turn.now)
        for unit in units:
            figures = await gather(turn.uow, unit, bounds, turn.now, turn.local_now.date(),
                                   self.rule.open_incident_hours, self.words.directive_rule,
                                   turn.lang)
            title = turn.t(Msg("stats.title", unit=unit.name,
                               time=f"{turn.local_now:%H:%M %d/%m/%Y}"))
            body = self.words.body(turn.t, turn.lang, figures, "figures.previous_days",
                                   "stats.quiet")
            await turn.say(Msg("stats.body", title=title, lines="\n".join(body)))
