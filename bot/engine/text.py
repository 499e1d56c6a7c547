"""Normalising what people type: NFC, trimming, and folding away Vietnamese diacritics.

Many users in the mountain provinces type without diacritics ("no luong" for "nợ lương"),
so every comparison of typed words goes through :func:`fold`.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """NFC-normalise, drop control and zero-width characters, trim."""
    text = unicodedata.normalize("NFC", text)
    return _CONTROL.sub("", text).strip()


def strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.replace("đ", "d").replace("Đ", "D")


def fold(text: str) -> str:
    """Comparable form: no diacritics, lower case, punctuation as single spaces."""
    bare = strip_diacritics(clean(text)).casefold()
    return _SPACES.sub(" ", _NON_WORD.sub(" ", bare).replace("_", " ")).strip()


def tokens(text: str) -> list[str]:
    folded = fold(text)
    return folded.split(" ") if folded else []
