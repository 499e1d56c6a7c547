"""Forms authored in Excel, as XLSForm (the ODK/KoboToolbox convention), read into the same
form data the YAML forms are (bot.engine.form.parse_form checks it the same way).

A province writes a survey in a spreadsheet it already knows: a "survey" sheet (type, name,
label::Vietnamese (vi), label::English (en), required, relevant, constraint, hint), a
"choices" sheet (list_name, name, label::...) and a "settings" sheet (form_id, version,
form_title). What the engine has is taken: select_one, select_multiple, integer, decimal,
text, date, a 1–5 scale (``range`` with start/end/step), and notes (shown with the question
that follows them); groups are flattened, their ``relevant`` joined to their questions'.
``relevant`` and simple constraints are translated into the engine's condition grammar and
bounds. Anything else is refused with the sheet, the row and the reason, never guessed:
an XPath the grammar cannot say would silently change who is asked what.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from bot.engine.messages import Msg
from bot.engine.text import fold
from bot.forms.xlsform_rules import Expression, Problem, bounds

SURVEY, CHOICES, SETTINGS = "survey", "choices", "settings"
# Metadata an XLSForm tool records by itself: no question, nothing to ask (skipped).
METADATA = frozenset({"start", "end", "today", "deviceid", "subscriberid", "simserial",
                      "phonenumber", "username", "email", "audit", "start-geopoint"})
PLAIN = {"integer": "integer", "int": "integer", "decimal": "decimal", "text": "text",
         "string": "text", "date": "date"}
SCALE_MAX_POINTS = 11
# Language and yes/no words are compared folded (no diacritics, lower case).
_LANGUAGES = {"vietnamese": "vi", "tieng viet": "vi", "english": "en", "tieng anh": "en"}
_YES = {"yes", "true", "true()", "1", "co", "x"}
_NO = {"", "no", "false", "false()", "0", "khong"}


class XlsFormError(ValueError):
    """Where the file is wrong and why: the sheet, the row (as Excel numbers it) and the
    reason, a message in the reader's language (locales: "xlsform.*")."""

    def __init__(self, source: str, sheet: str, row: int | None, reason: Msg) -> None:
        where = f"{sheet} row {row}" if row is not None else sheet
        super().__init__(f"{source}: {where}: {reason.key} {dict(reason.params)}")
        self.source, self.sheet, self.row, self.reason = source, sheet, row, reason

    @property
    def message(self) -> Msg:
        """The whole line as people read it: file, sheet, row, reason."""
        if self.row is None:
            return Msg("xlsform.at_sheet", source=self.source, sheet=self.sheet,
                       reason=self.reason)
        return Msg("xlsform.at_row", source=self.source, sheet=self.sheet, row=self.row,
                   reason=self.reason)


@dataclass
class _Row:
    number: int
    cells: dict[str, Any]

    def text(self, column: str) -> str:
        value = self.cells.get(column)
        return "" if value is None else str(value).strip()

    def labels(self, base: str) -> dict[str, str]:
        """``label``, ``label::Vietnamese (vi)``, ``label::en``... as {language: text}."""
        found: dict[str, str] = {}
        for column, value in self.cells.items():
            lang = _language(column, base)
            if lang is not None and value is not None and str(value).strip():
                found[lang] = str(value).strip()
        return found


def _language(column: str, base: str) -> str | None:
    if column == base:
        return "vi"  # a form without languages is Vietnamese first
    if not column.startswith(f"{base}::"):
        return None
    name = column.split("::", 1)[1].strip()
    code = re.search(r"\(([A-Za-z]{2,3})\)\s*$", name)
    if code:
        return code.group(1).lower()
    if re.fullmatch(r"[A-Za-z]{2,3}", name):
        return name.lower()
    return _LANGUAGES.get(fold(name))


def _sheet(book: Any, name: str, source: str, needed: bool = True) -> list[_Row]:
    found = next((ws for ws in book.worksheets if ws.title.strip().lower() == name), None)
    if found is None:
        if needed:
            raise XlsFormError(source, name, None, Msg("xlsform.sheet_missing"))
        return []
    rows = found.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise XlsFormError(source, name, 1, Msg("xlsform.header_missing"))
    columns = [str(h).strip() if h is not None else "" for h in header]
    out = []
    for number, values in enumerate(rows, start=2):
        cells = {c: v for c, v in zip(columns, values, strict=False) if c}
        if any(v is not None and str(v).strip() for v in cells.values()):
            out.append(_Row(number, cells))
    return out


def read_xlsform(data: bytes, source: str) -> dict[str, Any]:
    """The form's data (the YAML forms' shape) from an .xlsx file's bytes."""
    from openpyxl import load_workbook  # on first use: start-up needs no Excel

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises several kinds for a file that is no .xlsx
        raise XlsFormError(source, "(file)", None, Msg("xlsform.not_xlsx")) from None
    try:
        settings = _settings(_sheet(book, SETTINGS, source, needed=False), source)
        lists = _choices(_sheet(book, CHOICES, source, needed=False), source)
        questions = _Survey(source, lists).read(_sheet(book, SURVEY, source))
    finally:
        book.close()
    return {**settings, "questions": questions}


def _settings(rows: list[_Row], source: str) -> dict[str, Any]:
    if not rows:
        raise XlsFormError(source, SETTINGS, None, Msg("xlsform.settings_missing"))
    row = rows[0]
    form_id = row.text("form_id")
    if not re.fullmatch(r"[a-z0-9_]{1,64}", form_id):
        raise XlsFormError(source, SETTINGS, row.number, Msg("xlsform.form_id_bad"))
    version = row.text("version") or "1"
    if not version.isdigit() or int(version) < 1 or len(version) > 12:
        raise XlsFormError(source, SETTINGS, row.number, Msg("xlsform.version_bad"))
    title = row.labels("form_title") or {"vi": form_id}
    if "vi" not in title:
        raise XlsFormError(source, SETTINGS, row.number, Msg("xlsform.title_missing"))
    return {"id": form_id, "version": int(version), "title": title}


def _choices(rows: list[_Row], source: str) -> dict[str, list[dict[str, Any]]]:
    lists: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        name, key = row.text("list_name") or row.text("list name"), row.text("name")
        if isinstance(row.cells.get("name"), float) and float(key).is_integer():
            key = str(int(float(key)))  # Excel keeps 1 as 1.0
        label = row.labels("label")
        if not name:
            raise XlsFormError(source, CHOICES, row.number, Msg("xlsform.list_name_empty"))
        if not re.fullmatch(r"[a-z0-9_]{1,40}", key):
            raise XlsFormError(source, CHOICES, row.number, Msg("xlsform.choice_name_bad",
                                                                name=key))
        if "vi" not in label:
            raise XlsFormError(source, CHOICES, row.number, Msg("xlsform.label_missing"))
        if any(c["key"] == key for c in lists.get(name, [])):
            raise XlsFormError(source, CHOICES, row.number, Msg("xlsform.choice_duplicate",
                                                                name=key, list=name))
        lists.setdefault(name, []).append({"key": key, "label": label})
    return lists


class _Survey:
    def __init__(self, source: str, lists: dict[str, list[dict[str, Any]]]) -> None:
        self.source = source
        self.lists = lists
        self.types: dict[str, str] = {}  # question key -> engine type, for relevant
        self.out: list[dict[str, Any]] = []
        self.groups: list[dict[str, Any] | None] = []  # each open group's relevant
        self.note: tuple[int, dict[str, str]] | None = None

    def fail(self, row: _Row, key: str, **params: Any) -> XlsFormError:
        return XlsFormError(self.source, SURVEY, row.number, Msg(f"xlsform.{key}", **params))

    def read(self, rows: list[_Row]) -> list[dict[str, Any]]:
        for row in rows:
            self.row(row)
        if self.groups:
            raise XlsFormError(self.source, SURVEY, None, Msg("xlsform.group_open"))
        if self.note is not None:
            raise XlsFormError(self.source, SURVEY, self.note[0], Msg("xlsform.note_last"))
        if not self.out:
            raise XlsFormError(self.source, SURVEY, None, Msg("xlsform.no_question"))
        return self.out

    def row(self, row: _Row) -> None:
        words = row.text("type").split()
        kind = words[0].lower() if words else ""
        if not kind:
            raise self.fail(row, "type_empty")
        if kind in METADATA:
            return
        if kind in ("begin_group", "begin") and (kind == "begin_group" or words[1:2] == ["group"]):
            self.groups.append(self._relevant(row))
            heading = row.labels("label")
            if heading:  # a group's title is read before its first question, as a note's
                self._noted(row.number, heading)
            return
        if kind in ("end_group", "end") and (kind == "end_group" or words[1:2] == ["group"]):
            if not self.groups:
                raise self.fail(row, "end_group_alone")
            self.groups.pop()
            return
        if kind == "note":
            if row.text("relevant"):
                raise self.fail(row, "note_relevant")
            self._noted(row.number, self._label(row))
            return
        self.out.append(self.question(row, kind, words))

    def _noted(self, number: int, text: dict[str, str]) -> None:
        """Notes and group titles in a row go with the next question, in their order."""
        if self.note is None:
            self.note = (number, dict(text))
            return
        before = self.note[1]
        self.note = (self.note[0], {lang: "\n".join((before.get(lang) or before["vi"],
                                                     text.get(lang) or text["vi"]))
                                    for lang in {*before, *text}})

    def question(self, row: _Row, kind: str, words: list[str]) -> dict[str, Any]:
        key = row.text("name")
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", key):
            raise self.fail(row, "name_bad", name=key)
        if key in self.types:
            raise self.fail(row, "name_duplicate", name=key)
        q: dict[str, Any] = {"key": key, "label": self._label(row)}
        q.update(self._type(row, kind, words))
        q["required"] = self._required(row)
        hint = row.labels("hint")
        if self.note is not None:  # a note is read with the question after it
            note = self.note[1]
            hint = {lang: "\n".join(t for t in (note.get(lang) or note["vi"],
                                                hint.get(lang, "")) if t)
                    for lang in {*note, *hint}}
            self.note = None
        if hint:
            q["help"] = hint
        q.update(self._constraint(row, q["type"]))
        relevant = [r for r in (*self.groups, self._relevant(row)) if r is not None]
        if relevant:
            q["relevant"] = relevant[0] if len(relevant) == 1 else {"all": relevant}
        self.types[key] = q["type"]
        return q

    def _label(self, row: _Row) -> dict[str, str]:
        label = row.labels("label")
        if "vi" not in label:
            raise self.fail(row, "label_missing")
        return label

    def _type(self, row: _Row, kind: str, words: list[str]) -> dict[str, Any]:
        if kind in ("select_one", "select_multiple"):
            name = words[1] if len(words) > 1 else ""
            if name not in self.lists:
                raise self.fail(row, "no_list", name=name)
            return {"type": "choice" if kind == "select_one" else "multi_choice",
                    "choices": self.lists[name]}
        if kind in PLAIN:
            return {"type": PLAIN[kind]}
        if kind == "range":
            return self._scale(row)
        raise self.fail(row, "type_unknown", type=row.text("type"))

    def _scale(self, row: _Row) -> dict[str, Any]:
        params = dict(re.findall(r"(\w+)\s*=\s*(-?\d+)", row.text("parameters")))
        start, end = int(params.get("start", 1)), int(params.get("end", 5))
        step = int(params.get("step", 1))
        points = list(range(start, end + 1, step)) if step > 0 else []
        if not 2 <= len(points) <= SCALE_MAX_POINTS or start < 0:
            raise self.fail(row, "scale_bad", most=SCALE_MAX_POINTS)
        return {"type": "scale", "choices": [
            {"key": str(p), "label": {"vi": str(p), "en": str(p)}} for p in points]}

    def _required(self, row: _Row) -> bool:
        value = fold(row.text("required"))
        if value in _YES:
            return True
        if value in _NO:
            return False
        raise self.fail(row, "required_bad", value=value)

    def _relevant(self, row: _Row) -> dict[str, Any] | None:
        text = row.text("relevant")
        if not text:
            return None
        try:
            return Expression(text, self.types).read()
        except Problem as problem:
            raise self.fail(row, "relevant_bad", text=text, problem=problem.msg) from None

    def _constraint(self, row: _Row, qtype: str) -> dict[str, Any]:
        text = row.text("constraint")
        if not text:
            return {}
        try:
            return bounds(text, qtype)
        except Problem as problem:
            raise self.fail(row, "constraint_bad", text=text, problem=problem.msg) from None
