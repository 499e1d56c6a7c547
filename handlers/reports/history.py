"""/lichsu: the recent reports of the person's own units, never anyone else's."""

from __future__ import annotations

from bot.engine.conversation import Engine
from bot.engine.messages import Msg
from handlers.calendar.periods import PeriodTexts
from handlers.conversation.turn import Turn
from handlers.reports.render import Renderer

LIMIT = 10


class History:
    def __init__(self, engine: Engine, renderer: Renderer,
                 periods: PeriodTexts | None = None) -> None:
        self.engine = engine
        self.renderer = renderer
        self.periods = periods

    async def show(self, turn: Turn) -> None:
        unit_ids = sorted({unit.id for _, unit in await turn.memberships()})
        reports = await turn.uow.reports.recent_for_units(unit_ids, LIMIT)
        if not reports:
            await turn.say(Msg("history.empty"))
            return
        lines = [turn.t(Msg("history.heading", count=len(reports)))]
        for r in reports:
            form = self.engine.forms.get(r.form_id)
            category = ""
            if form is not None and form.index.get("category") and r.category:
                q = form.question(form.index["category"])
                category = self.renderer.value(turn.lang, q, r.category)
            elif self.periods is not None and r.form_id in self.periods.kind_of_form:
                label = self.periods.label(turn.t, turn.lang, self.periods.kind_of_form[r.form_id],
                                           r.period, r.form_id)
                category = turn.t(Msg("history.nil" if r.nil else "history.periodic",
                                      label=label))
            when = r.submitted_at.astimezone(turn.tz)
            lines.append(
                turn.t(
                    Msg(
                        "history.line",
                        ref=r.ref,
                        time=f"{when:%d/%m/%Y %H:%M}",
                        category=category,
                        status=turn.t(Msg(f"report.status.{r.status}")),
                    )
                )
            )
        await turn.say(Msg("history.body", lines="\n".join(lines)))
