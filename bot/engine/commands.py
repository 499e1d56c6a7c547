"""Recognising commands in what people type: slash optional, diacritics optional.

"/baocao", "baocao", "Báo cáo" and "bao cao" are the same command; "/start ABCD2345" carries an
argument. The words themselves are data (bot/forms/commands.yaml).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.engine.text import clean, fold


@dataclass(frozen=True)
class ParsedCommand:
    name: str
    arg: str | None
    slash: bool


class CommandVocabulary:
    def __init__(
        self, words: Mapping[str, Iterable[str]], with_arg: Mapping[str, str] | None = None
    ) -> None:
        # Commands whose argument may follow without a slash ("lienket K7M2Q9", "xuat
        # 2026-10"): people on Zalo, which has no command menu, type them as words. Without a
        # slash the argument must match the command's pattern (on folded text), so a sentence
        # that merely starts with a command word ("xuất hiện ...") stays a sentence.
        self._with_arg = {name: re.compile(p) for name, p in (with_arg or {}).items()}
        self._by_phrase: dict[str, str] = {}
        self._by_compact: dict[str, str] = {}
        for name, aliases in words.items():
            for alias in [name, *aliases]:
                self._by_phrase[fold(alias)] = name
                self._by_compact[fold(alias).replace(" ", "")] = name

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._by_phrase.values())

    def parse(self, text: str) -> ParsedCommand | None:
        raw = clean(text)
        if not raw or len(raw) > 200:
            return None
        slash = raw.startswith("/")
        if slash:
            head, _, rest = raw[1:].partition(" ")
            head = head.split("@", 1)[0]  # "/baocao@tinhhinh_bot" in Telegram groups
            name = self._by_compact.get(fold(head).replace(" ", ""))
            if name is None:
                return None
            return ParsedCommand(name, clean(rest) or None, True)
        name = self._by_phrase.get(fold(raw))
        if name:
            return ParsedCommand(name, None, False)
        words = raw.split()
        for cut in range(len(words) - 1, 0, -1):
            name = self._by_phrase.get(fold(" ".join(words[:cut])))
            pattern = self._with_arg.get(name) if name else None
            arg = " ".join(words[cut:])
            if name and pattern is not None and pattern.fullmatch(fold(arg)):
                return ParsedCommand(name, arg, False)
        return None

    def is_unknown_slash(self, text: str) -> bool:
        raw = clean(text)
        return raw.startswith("/") and len(raw) > 1 and self.parse(raw) is None
