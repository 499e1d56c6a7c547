"""A survey's results as an Excel workbook: one row per response, and a summary sheet.

The same scope and the same rule as the results page (handlers/surveys/results.py): the
reader's subtree of the campaign, and free text only from the units whose direct upper level
is the reader's (privacy by level); elsewhere the cell says it is withheld. Cells are typed
(a scale and a count as numbers, a day as a date, the time of the answer as a date-time) and
nothing a member typed becomes a formula. Responses are read page by page, the workbook is
written as it goes (openpyxl's write-only mode), so 100,000 responses stay in bounded memory.
"""

from __future__ import annotations

import asyncio
from typing import IO, Any
from zoneinfo import ZoneInfo

from bot.engine.form import Question
from bot.engine.messages import Msg
from bot.i18n import Translator
from handlers.exports.workbook import Sheet
from handlers.people.privacy import Reader, may_read_of
from handlers.surveys.results import SurveyResults, SurveyResultsDesk
from storage.uow import UnitOfWork

PAGE = 2000


class SurveyExport:
    def __init__(self, results: SurveyResultsDesk, translator: Translator, tz: ZoneInfo) -> None:
        self.results = results
        self.tr = translator
        self.tz = tz

    async def write(self, uow: UnitOfWork, person_id: int, campaign_id: int,
                    unit_id: int | None, lang: str, out: IO[bytes]) -> SurveyResults:
        found = await self.results.results(uow, person_id, campaign_id, unit_id, lang)
        engine = await self.results.pages.engine(uow, found.campaign.form_id,
                                                 found.campaign.form_version)
        assert engine is not None  # results() found it
        questions = engine.forms[found.campaign.form_id].questions
        reader = Reader.of(await uow.memberships.of_person(person_id))

        def t(key: str, **params: Any) -> str:
            return self.tr.render(lang, Msg(key, **params))

        from openpyxl import Workbook  # on first use: start-up needs no Excel

        book = Workbook(write_only=True)
        rows = Sheet(book, t("survey.sheet.responses"),
                     [t("export.col.unit_code"), t("export.col.unit"), t("survey.col.at"),
                      *(q.text(lang).rstrip("?: ") for q in questions)],
                     [14, 36, 17, *(40 if q.free_text else 18 for q in questions)])
        after = 0
        paths = [] if found.scope.id == found.campaign.unit_id else [found.scope.path]
        while page := await uow.surveys.response_page(campaign_id, paths, after, PAGE):
            for response, unit in page:
                readable = may_read_of(reader, unit.id, unit.parent_id)
                rows.add([unit.code, unit.name,
                          response.submitted_at.astimezone(self.tz).replace(tzinfo=None),
                          *(self._cell(q, response.answers.get(q.key), readable, lang, t)
                            for q in questions)])
            after = page[-1][0].id
            await asyncio.sleep(0)  # let the bot answer between pages
        rows.close()
        summary = Sheet(book, t("survey.sheet.summary"),
                        [t("survey.col.question"), t("survey.col.answer"),
                         t("survey.col.count"), t("survey.col.percent")], [48, 36, 12, 12])
        summary.add([t("survey.col.responses"), found.scope.name, found.responses, None])
        summary.add([t("survey.col.members"), found.scope.name, found.members.total,
                     found.rate])
        for result in found.questions:
            for option in result.options:
                summary.add([result.label, option.label, option.count, option.percent])
            if result.mean is not None:
                summary.add([result.label, t("survey.col.mean"), result.mean, None])
            if not result.options:
                summary.add([result.label, t("survey.col.answered"), result.answered, None])
        summary.close()
        book.save(out)
        return found

    def _cell(self, q: Question, value: Any, readable: bool, lang: str,
              t: Any) -> Any:
        if value is None or value == "" or value == []:
            return None
        if q.free_text and not readable:
            return t("export.withheld")
        if q.kind.multi:
            labels = {c.key: c.text(lang) for c in q.choices}
            return "; ".join(labels.get(str(v), str(v)) for v in value)
        cell = q.kind.cell(value, q, lang)
        return self.tr.render(lang, cell) if isinstance(cell, Msg) else cell
