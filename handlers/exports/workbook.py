"""An Excel workbook of a subtree's period: one sheet per report kind, then incidents and the
reporting ledger; Vietnamese headers, local times, a frozen bold header row and a filter.

openpyxl's write-only mode streams rows to disk as they come, and rows are read a page at a
time (``storage.repositories.exports``), so a 100,000-report export runs in flat memory.
Free text that may name workers is written only where the person exporting may read it
(handlers.people.privacy: the reporting unit's direct upper level); elsewhere the cell says it is
withheld. No cell written from what people typed is ever a formula: text that a spreadsheet
would take for one (starting with = + - @, a tab or a line break) is stored as text and
marked as such (Excel's quote prefix), whoever opens the file and in whatever program.

openpyxl (and numpy, which it loads when present) cost some 0.4 s at start-up for a file
that may never be asked for: it is imported on the first export.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.engine.form import Choice, Form, Question
from bot.engine.messages import Msg
from bot.i18n import Translator
from handlers.calendar.periods import PeriodTexts
from handlers.exports.period import ExportPeriod
from handlers.people.privacy import Reader, may_read, may_read_of
from storage.directive_models import Directive, DirectiveRecipient
from storage.models import OrgUnit
from storage.repositories.exports import ReportRow, ReportScope
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

PAGE = 2000
DATETIME = "dd/mm/yyyy hh:mm"
DATE = "dd/mm/yyyy"
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")
Progress = Callable[[int], None]


@dataclass
class ExportSummary:
    unit: str
    period: str
    sheets: dict[str, int] = field(default_factory=dict)

    @property
    def reports(self) -> int:
        return sum(self.sheets.values()) - self.sheets.get("incidents", 0) - self.sheets.get(
            "ledger", 0)


# What a spreadsheet takes for the start of a formula (OWASP "CSV injection" lists = + - @,
# tab and carriage return); a line feed is included for programs that trim before parsing.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def text_cell(ws: WriteOnlyWorksheet, text: str) -> WriteOnlyCell:
    """A cell holding ``text`` as text, never as a formula.

    openpyxl turns a string starting with "=" into a formula (data type "f"); here it stays
    a string ("s"), exactly as typed, and text a spreadsheet could read as a formula also
    gets the quote prefix (Excel's leading apostrophe, not part of the value), so neither
    opening nor editing the cell in Excel or LibreOffice evaluates it.
    """
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=text)
    if text.startswith(FORMULA_START):
        cell.data_type = "s"  # after the value: setting the value decides the type again
        cell.quotePrefix = True
    return cell


class Sheet:
    def __init__(self, book: Workbook, title: str, headers: Sequence[str],
                 widths: Sequence[int]) -> None:
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self.ws: WriteOnlyWorksheet = book.create_sheet(_SHEET_UNSAFE.sub(" ", title)[:31])
        self.ws.freeze_panes = "A2"
        for i, width in enumerate(widths, 1):
            self.ws.column_dimensions[get_column_letter(i)].width = width
        bold = Font(bold=True)
        cells = []
        for h in headers:
            cell = text_cell(self.ws, h)  # labels come from forms a province may write
            cell.font = bold
            cells.append(cell)
        self.ws.append(cells)
        self.columns = len(headers)
        self.rows = 0

    def add(self, values: Sequence[Any]) -> None:
        from openpyxl.cell import WriteOnlyCell

        row: list[Any] = []
        for v in values:
            if isinstance(v, datetime | date):
                cell = WriteOnlyCell(self.ws, value=v)
                cell.number_format = DATETIME if isinstance(v, datetime) else DATE
                row.append(cell)
            elif isinstance(v, str):
                row.append(text_cell(self.ws, v))
            else:
                row.append(v)
        self.ws.append(row)
        self.rows += 1

    def close(self) -> None:
        from openpyxl.utils import get_column_letter

        last = get_column_letter(max(self.columns, 1))
        self.ws.auto_filter.ref = f"A1:{last}{self.rows + 1}"


class WorkbookWriter:
    def __init__(self, forms: dict[str, Form], texts: PeriodTexts, translator: Translator,
                 tz: ZoneInfo, lang: str = "vi", methods: Sequence[Choice] = ()) -> None:
        # How units disseminate a directive, by key (the dissemination form's choices).
        self.methods = {c.key: c.text(lang) for c in methods}
        self.forms = forms
        self.texts = texts
        self.tr = translator
        self.tz = tz
        self.lang = lang

    def t(self, key: str, **params: Any) -> str:
        return self.tr.render(self.lang, Msg(key, **params))

    def _local(self, when: datetime | None) -> datetime | None:
        return when.astimezone(self.tz).replace(tzinfo=None) if when is not None else None

    async def write(self, uow: UnitOfWork, unit: OrgUnit, period: ExportPeriod,
                    out: Path | IO[bytes], reader: Reader, progress: Progress | None = None,
                    on_total: Callable[[int], None] | None = None) -> ExportSummary:
        """Write the workbook of ``unit``'s subtree for ``period`` as ``reader`` may read it."""
        start = datetime.combine(period.start, time(0), self.tz)
        end = datetime.combine(period.end, time(0), self.tz)
        kinds = self.texts.kind_of_form
        periodic = {form_id: period.keys(self.texts.periods[kind].every)
                    for form_id, kind in kinds.items() if kind in self.texts.periods}
        scope = ReportScope(unit.path, start, end,
                            tuple(f for f in self.forms if f not in kinds), periodic)
        counts = {f: await uow.exports.count_reports(scope, f) for f in self.forms}
        incidents = await uow.exports.incidents(unit.path, start, end)
        ledger_keys = {kind: period.keys(rule.every) for kind, rule in self.texts.periods.items()}
        ledger = await uow.exports.ledger(unit.path, ledger_keys)
        if on_total is not None:
            on_total(sum(counts.values()) + len(incidents) + len(ledger))
        tick = progress or (lambda n: None)
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        summary = ExportSummary(unit.code, period.key)
        # Rapid reports first, then the periodic ones in the calendar's order.
        order = [f for f in self.forms if f not in kinds] + [
            r.form_id for r in self.texts.periods.values() if r.form_id in self.forms]
        for form_id in order:
            form = self.forms[form_id]
            sheet = self._report_sheet(book, form, form_id in kinds)
            after = 0
            while page := await uow.exports.report_page(scope, form_id, after, PAGE):
                for row in page:
                    sheet.add(self._report_values(form, row, reader, form_id in kinds))
                after = page[-1].report.id
                tick(len(page))
                await asyncio.sleep(0)  # let the bot answer between pages
            sheet.close()
            summary.sheets[form_id] = sheet.rows
        summary.sheets["incidents"] = self._incidents(book, incidents, reader)
        tick(len(incidents))
        summary.sheets["ledger"] = self._ledger(book, ledger)
        tick(len(ledger))
        summary.sheets["directives"] = self._directives(
            book, await uow.directives.for_export(unit.path, start, end))
        book.save(out)
        return summary

    # -- reports --------------------------------------------------------------------------
    def _report_sheet(self, book: Workbook, form: Form, periodic: bool) -> Sheet:
        fixed = ["ref", "unit_code", "unit", "reporter", "submitted_at"]
        if periodic:
            fixed += ["period", "nil"]
        headers = [self.t(f"export.col.{c}") for c in fixed]
        headers += [q.noun(self.lang) for q in form.questions]
        widths = [16, 14, 36, 20, 17, *([18, 10] if periodic else [])]
        widths += [40 if q.free_text else 18 for q in form.questions]
        return Sheet(book, form.title_text(self.lang), headers, widths)

    def _report_values(self, form: Form, row: ReportRow, reader: Reader,
                       periodic: bool) -> list[Any]:
        r = row.report
        values: list[Any] = [r.ref, row.unit_code, row.unit_name, row.reporter,
                             self._local(r.submitted_at)]
        if periodic:
            values += [r.period, self.t("export.yes") if r.nil else ""]
        readable = may_read_of(reader, r.unit_id, row.unit_parent_id)
        for q in form.questions:
            answer = r.answers.get(q.key)
            if q.free_text and answer and not readable:
                values.append(self.t("export.withheld"))
            else:
                values.append(self._answer(q, answer))
        return values

    def _answer(self, q: Question, value: Any) -> Any:
        """The cell the question's type makes of an answer (a label, a date, a count)."""
        if value is None or value == "" or value == []:
            return None
        cell = q.kind.cell(value, q, self.lang)
        return self.tr.render(self.lang, cell) if isinstance(cell, Msg) else cell

    # -- incidents and the ledger ---------------------------------------------------------
    def _incidents(self, book: Workbook, rows: Sequence[tuple[Any, str, OrgUnit]],
                   reader: Reader) -> int:
        cols = ["incident", "ref", "unit_code", "unit", "severity", "state", "opened_at",
                "acknowledged_at", "ack_minutes", "resolved_at", "resolve_hours", "resolution"]
        sheet = Sheet(book, self.t("export.sheet.incidents"),
                       [self.t(f"export.col.{c}") for c in cols],
                       [10, 16, 14, 36, 14, 16, 17, 17, 12, 17, 12, 40])
        for incident, ref, where in rows:
            ack = incident.acknowledged_at
            fixed = incident.resolved_at
            note = incident.resolution
            if note and not may_read(reader, where):
                note = self.t("export.withheld")
            sheet.add([
                incident.id, ref, where.code, where.name,
                self.tr.text(self.lang, f"severity.{incident.severity}"),
                self.t(f"export.state.{incident.state}"),
                self._local(incident.opened_at), self._local(ack),
                round((ack - incident.opened_at).total_seconds() / 60) if ack else None,
                self._local(fixed),
                round((fixed - incident.opened_at).total_seconds() / 3600, 1) if fixed else None,
                note,
            ])
        sheet.close()
        return sheet.rows

    def _directives(self, book: Workbook,
                    rows: Sequence[tuple[Directive, DirectiveRecipient, OrgUnit, int]]) -> int:
        """The period's directives, one row per unit: what it answered and when."""
        cols = ["directive", "title", "answer_by", "unit_code", "unit", "answer", "received_at",
                "disseminated_at", "reached", "reached_on", "method", "member_reads"]
        sheet = Sheet(book, self.t("export.sheet.directives"),
                       [self.t(f"export.col.{c}") for c in cols],
                       [10, 40, 12, 14, 36, 16, 17, 17, 12, 12, 16, 12])
        for directive, row, where, reads in rows:
            sheet.add([
                directive.id, directive.title, directive.due_on, where.code, where.name,
                self.tr.text(self.lang, f"directive.state_{row.state}"),
                self._local(row.received_at), self._local(row.disseminated_at), row.reached,
                row.reached_on,
                self.methods.get(row.method, row.method) if row.method else None,
                reads,
            ])
        sheet.close()
        return sheet.rows

    def _ledger(self, book: Workbook, rows: Sequence[tuple[Any, OrgUnit, str | None]]) -> int:
        cols = ["period", "unit_code", "unit", "due_on", "status", "filed_at", "ref",
                "listed_at"]
        sheet = Sheet(book, self.t("export.sheet.ledger"),
                       [self.t(f"export.col.{c}") for c in cols],
                       [26, 14, 36, 12, 16, 17, 16, 17])
        for row, where, ref in rows:
            sheet.add([
                self.texts.of(lambda m: self.tr.render(self.lang, m), self.lang, row),
                where.code, where.name, row.due_on, self.t(f"export.status.{row.status}"),
                self._local(row.submitted_at), ref, self._local(row.overdue_since),
            ])
        sheet.close()
        return sheet.rows
