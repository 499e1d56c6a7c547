"""Turning what a person typed into a typed answer, or a short reason why not.

Every function returns ``(value, None)`` or ``(None, Msg)``; none of them raises on input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from bot.engine.messages import Msg
from bot.engine.text import clean, fold, tokens

if TYPE_CHECKING:
    from bot.engine.form import Choice, Question

Parsed = tuple[Any, Msg | None]

_NUMBER = re.compile(r"-?\d[\d.,  ]*\d|-?\d")
_SPACES = re.compile(r"[  ]")
# A number people type is short; a longer one is refused with the question's bounds.
_LONGEST = 40
_DATE = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2,4}))?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_LIST_SPLIT = re.compile(r"[,;+]|\s+va\s+|\s+and\s+")


def match_choice(text: str, choices: Sequence[Choice]) -> Parsed:
    """A choice by its number, its label or alias in any language (diacritics optional)."""
    raw = clean(text)
    if not raw:
        return None, Msg("error.empty")
    if raw.isascii() and raw.isdigit():  # "¹" and "٣" are digits to isdigit, not to int
        # A digit string longer than any choice number is refused before int() reads it:
        # Python refuses to read numbers of over 4,300 digits at all.
        n = int(raw) if len(raw) <= 9 else 0
        if 1 <= n <= len(choices):
            return choices[n - 1].key, None
        return None, Msg("error.choice_number", count=len(choices))
    folded = fold(raw)
    if not folded:
        return None, Msg("error.choice_unknown", count=len(choices))
    for c in choices:
        names = {fold(c.key), *(fold(v) for v in c.label.values()), *(fold(a) for a in c.aliases)}
        if folded in names:
            return c.key, None
    # Loose match: every typed word appears in exactly one choice's words.
    words = folded.split(" ")
    hits = [c for c in choices if _covers(c, words)]
    if len(hits) == 1:
        return hits[0].key, None
    if len(hits) > 1:
        return None, Msg("error.choice_ambiguous", count=len(choices))
    return None, Msg("error.choice_unknown", count=len(choices))


def _covers(choice: Choice, words: list[str]) -> bool:
    vocab: set[str] = set()
    for name in (*choice.label.values(), *choice.aliases):
        vocab.update(tokens(name))
    return all(w in vocab or (len(w) >= 3 and any(v.startswith(w) for v in vocab)) for w in words)


def parse_multi(text: str, question: Question) -> Parsed:
    raw = clean(text)
    if not raw:
        return None, Msg("error.empty")
    # "1 3 5" or "1,3" or labels separated by commas.
    if re.fullmatch(r"[\d\s,;.]+", raw):
        parts = [p for p in re.split(r"[\s,;.]+", raw) if p]
    else:
        parts = [p.strip() for p in _LIST_SPLIT.split(fold(raw)) if p.strip()]
    picked: list[str] = []
    for part in parts:
        key, err = match_choice(part, question.choices)
        if err is not None:
            return None, err
        if key not in picked:
            picked.append(key)
    if not picked:
        return None, Msg("error.choice_unknown", count=len(question.choices))
    return picked, None


def parse_number(text: str, question: Question, *, whole: bool) -> Parsed:
    raw = clean(text)
    if not raw:
        return None, Msg("error.empty")
    lo, hi = question.min, question.max
    found = _NUMBER.findall(raw)
    if len(raw) > _LONGEST:
        too_long = len(found) == 1 and (lo is not None or hi is not None)
        return None, (Msg("error.number_range", min=_show(lo), max=_show(hi)) if too_long
                      else Msg("error.integer" if whole else "error.decimal"))
    if len(found) != 1:
        return None, Msg("error.integer" if whole else "error.decimal")
    token = _spaced_thousands(found[0])
    if token is None:  # "10 20": two numbers, not 1020
        return None, Msg("error.one_number")
    value = _to_decimal(token, whole=whole)
    if value is None:
        return None, Msg("error.integer" if whole else "error.decimal")
    too_low = lo is not None and value < Decimal(str(lo))
    if too_low or (hi is not None and value > Decimal(str(hi))):
        return None, Msg("error.number_range", min=_show(lo), max=_show(hi))
    if whole:
        return int(value), None
    return str(value.normalize()) if value == value.to_integral() else str(value), None


def _spaced_thousands(token: str) -> str | None:
    """"1 500 000" is one number written in groups of three; "10 20" or "3 4" is two
    numbers (None): joining them would store a figure nobody typed."""
    groups = _SPACES.split(token)
    if len(groups) == 1:
        return token
    head = groups[0].lstrip("-")
    if head.isdigit() and len(head) <= 3 and all(g.isdigit() and len(g) == 3
                                                  for g in groups[1:]):
        return "".join(groups)
    return None


def _to_decimal(token: str, *, whole: bool) -> Decimal | None:
    """Vietnamese writes 1.500.000 for thousands and 12,5 for a decimal; accept both styles."""
    sign = -1 if token.startswith("-") else 1
    token = token.lstrip("-")
    dots, commas = token.count("."), token.count(",")
    if dots and commas:
        decimal_sep = "." if token.rfind(".") > token.rfind(",") else ","
        thousands = "," if decimal_sep == "." else "."
        token = token.replace(thousands, "").replace(decimal_sep, ".")
    elif dots + commas:
        sep = "." if dots else ","
        groups = token.split(sep)
        is_thousands = len(groups) > 2 or (len(groups[-1]) == 3 and whole)
        if is_thousands and all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3:
            token = "".join(groups)
        elif len(groups) == 2 and not whole:
            token = ".".join(groups)
        else:
            return None
    try:
        value = Decimal(token) * sign
    except InvalidOperation:
        return None
    if whole and value != value.to_integral():
        return None
    return value


def _show(value: float | None) -> str:
    if value is None:
        return "…"
    return f"{int(value):,}".replace(",", ".") if float(value).is_integer() else str(value)


def parse_text(text: str, question: Question) -> Parsed:
    value = clean(text)
    if not value:
        return None, Msg("error.empty")
    if question.min_length is not None and len(value) < question.min_length:
        return None, Msg("error.too_short", min=question.min_length, got=len(value))
    if question.max_length is not None and len(value) > question.max_length:
        return None, Msg("error.too_long", max=question.max_length, got=len(value))
    return value, None


def parse_date(text: str, question: Question, today: date | None) -> Parsed:
    raw = clean(text).replace(" ", "")
    if not raw:
        return None, Msg("error.empty")
    iso = _ISO_DATE.match(raw)
    m = _DATE.match(raw)
    try:
        if iso:
            value = date(int(iso[1]), int(iso[2]), int(iso[3]))
        elif m and (m[3] or today):
            year = int(m[3]) if m[3] else today.year  # type: ignore[union-attr]
            year = year + 2000 if year < 100 else year
            value = date(year, int(m[2]), int(m[1]))
        else:
            return None, Msg("error.date")
    except ValueError:
        return None, Msg("error.date")
    if not 1900 <= value.year <= 2200:
        return None, Msg("error.date")
    # A date question's min and max count days from today (a deadline: min 1; a day
    # something happened: max 0).
    if today is not None and question.min is not None \
            and value < today + timedelta(days=question.min):
        first = today + timedelta(days=question.min)
        return None, Msg("error.date_min", day=f"{first:%d/%m/%Y}")
    if today is not None and question.max is not None \
            and value > today + timedelta(days=question.max):
        last = today + timedelta(days=question.max)
        return None, Msg("error.date_max", day=f"{last:%d/%m/%Y}")
    return value.isoformat(), None
