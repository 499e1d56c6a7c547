"""Recognising commands in what people type: slash optional, diacritics optional.

"/baocao", "baocao", "Báo cáo" and "bao cao" are the same command; "/start ABCD2345" carries an
argument. The words themselves are data (bot/forms/commands.yaml).
"""

from __future__ import annotations

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
        self, words: Mapping[str, Iterable[str]], with_arg: Iterable[str] = ()
    ) -> None:
        # Commands whose argument may follow without a slash ("lienket K7M2Q9"): people on
        # Zalo, which has no command menu, type them as words.
        self._with_arg = frozenset(with_arg)
        self._by_phrase: dict[str, str] = {}
        self._by_compact: dict[str, str] = {}
        for name, aliases in words.items():
            for alias in [name, *aliases]:
                self._by_phrase[fold(alias)] = name
                self._by_compact[fold(alias).replace(" ", "")] = name

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
        head, _, last = raw.rpartition(" ")
        name = self._by_phrase.get(fold(head)) if head else None
        if name in self._with_arg and last:
            return ParsedCommand(name, last, False)
        return None

    def is_unknown_slash(self, text: str) -> bool:
        raw = clean(text)
        return raw.startswith("/") and len(raw) > 1 and self.parse(raw) is None
