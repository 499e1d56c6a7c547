"""Reply codes: the actions that are buttons on Telegram, typed on Zalo ("TN 12").

One grammar for every channel. A code is a verb, a reference number and, for some verbs, a
note: "TN 12", "tn12", "Tiếp nhận #12", "GQ 12: đã trả đủ lương". The verbs are data
(``reply_codes`` in bot/forms/commands.yaml); the first word of each is the short code shown
to people. A Telegram button carries the same code, so both paths meet in ``parse``.

A verb that takes no note never swallows a longer sentence: "tn 2 nguoi bi thuong" typed
into a report is an answer, not an acknowledgement.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.channels.base import Option
from bot.engine.messages import Msg
from bot.engine.text import clean, fold

NoteRule = Literal["none", "optional", "required"]
_SHAPE = re.compile(r"^/?(?P<head>[^\d#/]{1,40}?)\s*#?\s*(?P<ref>\d{1,9})(?P<rest>.*)$", re.S)
_NOTE_EDGE = " \t\n:;,.-–—"


@dataclass(frozen=True)
class ReplyCode:
    action: str
    ref: int
    note: str | None


@dataclass(frozen=True)
class Verb:
    action: str
    code: str
    words: tuple[str, ...]
    note: NoteRule


class ReplyCodeGrammar:
    def __init__(self, verbs: Sequence[Verb]) -> None:
        self.verbs = {v.action: v for v in verbs}
        self._by_word: dict[str, Verb] = {}
        for verb in verbs:
            for word in (verb.code, *verb.words):
                self._by_word[fold(word).replace(" ", "")] = verb

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ReplyCodeGrammar:
        verbs = []
        for action, spec in data.items():
            code = str(spec["code"])
            if not re.fullmatch(r"[A-Z]{2,4}", code):
                raise ValueError(f"reply code for {action} must be 2-4 capital letters")
            verbs.append(Verb(action, code, tuple(spec.get("words", ())),
                              spec.get("note", "none")))
        return cls(verbs)

    def parse(self, text: str) -> ReplyCode | None:
        raw = clean(text)
        match = _SHAPE.match(raw) if len(raw) <= 2000 else None
        if match is None:
            return None
        verb = self._by_word.get(fold(match["head"]).replace(" ", ""))
        if verb is None:
            return None
        note = match["rest"].strip(_NOTE_EDGE) or None
        if note is not None and verb.note == "none":
            return None
        return ReplyCode(verb.action, int(match["ref"]), note)

    def code(self, action: str, ref: int) -> str:
        return f"{self.verbs[action].code} {ref}"

    def options(
        self, t: Callable[[Msg], str], ref: int, actions: Sequence[str]
    ) -> tuple[tuple[Option, ...], str]:
        """Buttons (Telegram) and the typed form (Zalo) for actions on item ``ref``."""
        options = tuple(Option(self.code(a, ref), t(Msg(f"code.{a}"))) for a in actions)
        spelled = "; ".join(t(Msg("code.item", code=self.usage(t, a, ref),
                                  meaning=t(Msg(f"code.{a}")))) for a in actions)
        return options, t(Msg("code.hint", items=spelled))

    def usage(self, t: Callable[[Msg], str], action: str, ref: int | None = None) -> str:
        verb = self.verbs[action]
        number = str(ref) if ref is not None else t(Msg("code.arg_ref"))
        note = {"none": "", "optional": " " + t(Msg("code.arg_note_optional")),
                "required": " " + t(Msg("code.arg_note"))}[verb.note]
        return f"{verb.code} {number}{note}"

    def help_lines(self, t: Callable[[Msg], str], actions: Sequence[str]) -> str:
        return "\n".join(t(Msg("code.item", code=self.usage(t, a), meaning=t(Msg(f"code.{a}"))))
                         for a in self.verbs if a in actions)


# What a use case does with a code (issue: incidents register acknowledge, note, resolve...).
ReplyAction = Callable[[Any, ReplyCode], Awaitable[None]]
