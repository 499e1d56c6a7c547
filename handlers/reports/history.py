"""/lichsu: recent reports the person may see, and one report by its number.

A chair sees their own units' reports, each with the state of the hot spot it opened. An
official sees their subtree's latest reports (with each unit's name) and opens any one of
them by number ("/lichsu BC-2026-000123" or "/lichsu 123"); its words follow privacy by level
(handlers.people.privacy): above the direct upper level, free text reads as withheld. A
number the person may not see is answered like one that does not exist.
"""

from __future__ import annotations

import re

from bot.engine.conversation import Engine
from bot.engine.messages import Msg
from handlers.calendar.periods import PeriodTexts
from handlers.conversation.turn import OFFICIAL_ROLES, Turn
from handlers.people.privacy import Reader, may_read
from handlers.reports.render import Renderer
from storage.models import Incident, Report

LIMIT = 10
_NUMBER = re.compile(r"^\s*(?:bc\s*-?\s*)?(?:(\d{4})\s*-?\s*)?(\d{1,6})\s*$", re.I)


class History:
    def __init__(self, engine: Engine, renderer: Renderer,
                 periods: PeriodTexts | None = None) -> None:
        self.engine = engine
        self.renderer = renderer
        self.periods = periods

    async def show(self, turn: Turn, arg: str | None = None) -> None:
        roles = await turn.memberships()
        own = sorted({u.id for m, u in roles})
        paths = [u.path for m, u in roles if m.role in OFFICIAL_ROLES]
        found = _NUMBER.match(arg) if arg else None
        if arg and found is None:
            await turn.say(Msg("history.bad_number"))
        elif found is not None:
            await self.one(turn, int(found[2]), int(found[1]) if found[1] else None, own,
                           paths)
        else:
            await self.recent(turn, own, paths)

    async def recent(self, turn: Turn, own: list[int], paths: list[str]) -> None:
        rows = await turn.uow.reports.recent_in(own, paths, LIMIT)
        if not rows:
            await turn.say(Msg("history.empty"))
            return
        hot = await turn.uow.incidents.of_reports([r.id for r, _ in rows])
        heading = "history.heading_subtree" if paths else "history.heading"
        lines = [turn.t(Msg(heading, count=len(rows)))]
        for report, unit in rows:
            lines.append(turn.t(Msg(
                "history.line_unit" if paths else "history.line", ref=report.ref,
                unit=unit.name, time=f"{report.submitted_at.astimezone(turn.tz):%d/%m/%Y %H:%M}",
                category=self._category(turn, report), status=self._status(turn, report),
                hotspot=self._hotspot(turn, hot.get(report.id)))))
        lines.append(turn.t(Msg("history.open_hint")))
        open_spots = sorted({i.id for i in hot.values() if i.state != "resolved"})
        if open_spots and not paths:  # a chair can add to their unit's open hot spot
            lines.append(turn.t(Msg("history.update_hint", number=open_spots[-1])))
        await turn.say(Msg("history.body", lines="\n".join(lines)))

    async def one(self, turn: Turn, number: int, year: int | None, own: list[int],
                  paths: list[str]) -> None:
        visible = [(r, u) for r, u in await turn.uow.reports.numbered(number, year)
                   if u.id in own or any(u.path.startswith(p) for p in paths)]
        if not visible:
            await turn.say(Msg("history.not_found", number=number))
            return
        report, unit = visible[0]
        reader = Reader.of(await turn.memberships())
        hot = (await turn.uow.incidents.of_reports([report.id])).get(report.id)
        form = self.engine.forms.get(report.form_id)
        head = turn.t(Msg(
            "history.one", ref=report.ref, form=form.title_text(turn.lang) if form else "",
            unit=unit.name, time=f"{report.submitted_at.astimezone(turn.tz):%d/%m/%Y %H:%M}",
            status=self._status(turn, report), hotspot=self._hotspot(turn, hot)))
        body = self.renderer.card(turn.lang, report, may_read(reader, unit))
        if report.nil:
            body = turn.t(Msg("history.nil_body"))
        await turn.say(Msg("history.body", lines="\n".join(p for p in (head, body) if p)))

    def _category(self, turn: Turn, report: Report) -> str:
        form = self.engine.forms.get(report.form_id)
        if form is not None and form.index.get("category") and report.category:
            q = form.question(form.index["category"])
            return self.renderer.value(turn.lang, q, report.category)
        if self.periods is not None and report.form_id in self.periods.kind_of_form:
            label = self.periods.label(turn.t, turn.lang,
                                       self.periods.kind_of_form[report.form_id],
                                       report.period, report.form_id)
            return turn.t(Msg("history.nil" if report.nil else "history.periodic",
                              label=label))
        return form.title_text(turn.lang) if form is not None else report.form_id

    @staticmethod
    def _status(turn: Turn, report: Report) -> str:
        return turn.t(Msg(f"report.status.{report.status}"))

    @staticmethod
    def _hotspot(turn: Turn, incident: Incident | None) -> str:
        if incident is None:
            return ""
        return turn.t(Msg("history.hotspot", number=incident.id,
                          state=turn.t(Msg(f"export.state.{incident.state}"))))
