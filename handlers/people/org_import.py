"""`tinhhinh org import`: read CSV or XLSX (ma, ten, ma_cap_tren, cap), validate, then upsert.

Every problem is reported with its spreadsheet row number, and then nothing is imported. A
level label the policy does not know is imported with a warning naming the row.

A CSV is read in whatever Excel on a Vietnamese Windows saves: UTF-8 (with or without its
byte-order mark), "Unicode text" (UTF-16, tab-separated) or plain "CSV" (Windows-1258, whose
letters are built from combining marks: normalised to NFC). A file in none of these gets one
line saying how to save it.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.engine.messages import Msg
from bot.engine.text import clean, fold
from handlers.calendar.plan import arm as arm_calendar
from storage.repositories.org import UnitRow
from storage.uow import UnitOfWork

COLUMNS = {"ma": "ma", "ten": "ten", "ma cap tren": "ma_cap_tren", "cap": "cap"}
REQUIRED = ("ma", "ten", "ma_cap_tren")


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    errors: list[Msg] = field(default_factory=list)
    warnings: list[Msg] = field(default_factory=list)


def read_table(path: Path) -> tuple[list[tuple[int, dict[str, str]]], Msg | None]:
    """Rows as (spreadsheet row number, {column: text}), the header being row 1;
    and a message when required columns are missing."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raw = _xlsx_rows(path)
    else:
        text = decode(path.read_bytes())
        if text is None:
            return [], Msg("org.bad_encoding", file=path.name)
        raw = _csv_rows(text)
    if not raw:
        return [], Msg("org.empty_file")
    header = [COLUMNS.get(fold(str(h or "")), "") for h in raw[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], Msg("org.missing_columns", columns=", ".join(missing))
    rows = []
    for number, values in enumerate(raw[1:], start=2):
        cells = {
            name: clean(str(v)) if v is not None else ""
            for name, v in zip(header, values, strict=False)
            if name
        }
        if any(cells.values()):
            rows.append((number, cells))
    return rows, None


def decode(data: bytes) -> str | None:
    """The text of a CSV in one of the encodings Excel saves; None when it is none of them."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif b"\x00" in data[:400]:  # UTF-16 without its mark: every ASCII letter has a zero
        candidates = ["utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"]
    else:
        # Not UTF-8: the legacy "CSV" of Vietnamese Windows. Its bytes 0x80-0xFF are letters
        # and marks, so Latin-1 text decodes too (it has no Vietnamese to get wrong).
        candidates = ["utf-8", "cp1258"]
    for encoding in candidates:
        try:
            return unicodedata.normalize("NFC", data.decode(encoding))
        except UnicodeDecodeError:
            continue
    return None


def _csv_rows(text: str) -> list[list[Any]]:
    try:
        dialect: Any = csv.Sniffer().sniff(text.splitlines()[0] if text else "", ",;\t")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect)]


def _xlsx_rows(path: Path) -> list[list[Any]]:
    from openpyxl import load_workbook  # imported lazily: only imports need it

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def validate(
    rows: list[tuple[int, dict[str, str]]], stored_parents: dict[str, str | None]
) -> tuple[list[UnitRow], list[Msg]]:
    errors: list[Msg] = []
    first_row: dict[str, int] = {}
    units: list[UnitRow] = []
    for number, cells in rows:
        code, name = cells.get("ma", ""), cells.get("ten", "")
        parent = cells.get("ma_cap_tren", "") or None
        if not code:
            errors.append(Msg("org.empty_code", row=number))
            continue
        if not name:
            errors.append(Msg("org.empty_name", row=number, code=code))
        if code in first_row:
            errors.append(Msg("org.duplicate", row=number, code=code, first=first_row[code]))
            continue
        first_row[code] = number
        units.append(UnitRow(code, name, parent, cells.get("cap", "")))
    parents = dict(stored_parents)
    parents.update({u.code: u.parent_code for u in units})
    for u in units:
        if u.parent_code and u.parent_code not in parents:
            errors.append(Msg("org.unknown_parent", row=first_row[u.code], code=u.code,
                              parent=u.parent_code))
    reported: set[str] = set()
    for u in units:
        chain = [u.code]
        node = parents.get(u.code)
        while node is not None and node in parents and node not in chain:
            chain.append(node)
            node = parents.get(node)
        if node == u.code and u.code not in reported:
            loop = [*chain, node]
            reported.update(loop)
            errors.append(Msg("org.cycle", row=first_row[u.code], path=" → ".join(loop)))
    errors.sort(key=lambda m: int(m.params.get("row", 0)))
    return units, errors


def unknown_levels(rows: list[tuple[int, dict[str, str]]],
                   known: tuple[str, ...]) -> list[Msg]:
    """A warning for each row whose level label the policy does not know (a typo shows)."""
    if not known:
        return []
    folded = {fold(k) for k in known}
    listed = ", ".join(known)
    return [Msg("org.unknown_level", row=number, level=cells["cap"], known=listed)
            for number, cells in rows if cells.get("cap") and fold(cells["cap"]) not in folded]


async def import_units(
    uow: UnitOfWork, rows: list[tuple[int, dict[str, str]]], now: datetime, *, plan: bool = True,
    known_levels: tuple[str, ...] = (), person_id: int | None = None, label: str = "cli",
) -> ImportResult:
    units, errors = validate(rows, await uow.units.parents())
    if errors:
        return ImportResult(errors=errors)
    warnings = unknown_levels(rows, known_levels)
    if not units:
        return ImportResult(errors=[Msg("org.empty_file")])
    added, updated = await uow.units.upsert(units, now)
    if plan:  # new units owe the current periods' reports: the running bot plans at once
        await arm_calendar(uow, now)
    await uow.audit.write(
        "org.imported", now, details={"added": added, "updated": updated,
                                      "warnings": len(warnings)},
        person_id=person_id, label=label,
    )
    return ImportResult(added, updated, warnings=warnings)
