"""XLSForm's expressions as the engine reads them: a ``relevant`` becomes the condition
grammar (bot/engine/conditions.py), a simple ``constraint`` becomes bounds. Anything else is a
``Problem`` with its reason (a message in the reader's language), never a guess.
"""

from __future__ import annotations

import re
from typing import Any

from bot.engine.messages import Msg


class Problem(ValueError):
    """Why an expression cannot be taken (inside a relevant or a constraint)."""

    def __init__(self, msg: Msg) -> None:
        super().__init__(msg.key)
        self.msg = msg


_TOKEN = re.compile(r"""\s*(?:(?P<ref>\$\{[a-z][a-z0-9_]*\})|(?P<str>'[^']*'|"[^"]*")
    |(?P<num>-?\d+(?:\.\d+)?)|(?P<op>!=|>=|<=|=|>|<)|(?P<word>[a-z-]+\(?)|(?P<punct>[(),]))""",
                    re.X)
_OPS = {"=": "eq", "!=": "ne", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}


class Expression:
    """An XLSForm ``relevant``: comparisons of earlier answers with constants, selected(),
    and, or, not() and parentheses; as the engine's condition mapping."""

    def __init__(self, text: str, types: dict[str, str]) -> None:
        self.tokens = self._tokens(text)
        self.at = 0
        self.types = types

    @staticmethod
    def _tokens(text: str) -> list[tuple[str, str]]:
        out, at = [], 0
        while at < len(text):
            if text[at:].strip() == "":
                break
            match = _TOKEN.match(text, at)
            if match is None or match.end() == at:
                raise Problem(Msg("xlsform.x_unreadable", at=text[at:].lstrip()[:12]))
            kind = match.lastgroup or ""
            out.append((kind, match.group(kind)))
            at = match.end()
        return out

    def read(self) -> dict[str, Any]:
        found = self._or()
        if self.at != len(self.tokens):
            raise Problem(Msg("xlsform.x_unexpected", got=self.tokens[self.at][1]))
        return found

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("", "")

    def _take(self, value: str | None = None) -> tuple[str, str]:
        token = self._peek()
        if not token[0] or (value is not None and token[1] != value):
            raise Problem(Msg("xlsform.x_expected", what=value) if value
                           else Msg("xlsform.x_short"))
        self.at += 1
        return token

    def _or(self) -> dict[str, Any]:
        parts = [self._and()]
        while self._peek() == ("word", "or"):
            self._take()
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else {"any": parts}

    def _and(self) -> dict[str, Any]:
        parts = [self._unary()]
        while self._peek() == ("word", "and"):
            self._take()
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else {"all": parts}

    def _unary(self) -> dict[str, Any]:
        kind, value = self._peek()
        if (kind, value) == ("word", "not("):
            self._take()
            inner = self._or()
            self._take(")")
            return {"not": inner}
        if (kind, value) == ("punct", "("):
            self._take()
            inner = self._or()
            self._take(")")
            return inner
        if (kind, value) == ("word", "selected("):
            self._take()
            key = self._ref()
            self._take(",")
            constant = self._constant(key)
            self._take(")")
            return {key: constant}
        return self._compare()

    def _ref(self) -> str:
        kind, value = self._take()
        if kind != "ref":
            raise Problem(Msg("xlsform.x_ref", got=value))
        key = value[2:-1]
        if key not in self.types:
            raise Problem(Msg("xlsform.x_not_earlier", name=key))
        return key

    def _constant(self, key: str) -> Any:
        kind, value = self._take()
        if kind == "str":
            text = value[1:-1]
            if self.types[key] in ("integer", "decimal", "scale") and _is_number(text):
                return _number(text)
            return text
        if kind == "num":
            return _number(value)
        raise Problem(Msg("xlsform.x_constant", got=value))

    def _compare(self) -> dict[str, Any]:
        key = self._ref()
        kind, op = self._take()
        if kind != "op":
            raise Problem(Msg("xlsform.x_comparison", name=key, got=op))
        constant = self._constant(key)
        if op == "=":
            return {key: constant}
        if op != "!=" and not isinstance(constant, int | float):
            raise Problem(Msg("xlsform.x_numbers", op=op))
        return {key: {_OPS[op]: constant}}


def _is_number(text: str) -> bool:
    return re.fullmatch(r"-?\d+(\.\d+)?", text) is not None


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


_BOUND = re.compile(r"^\s*(?P<subject>\.|string-length\(\s*\.\s*\))\s*(?P<op>>=|<=|>|<)\s*"
                    r"(?P<num>-?\d+(?:\.\d+)?)\s*$")


def bounds(text: str, qtype: str) -> dict[str, Any]:
    """``. >= 0 and . <= 100`` as min and max; ``string-length(.) <= 500`` as max_length."""
    out: dict[str, Any] = {}
    for part in re.split(r"\s+and\s+", text.strip()):
        match = _BOUND.match(part)
        if match is None:
            raise Problem(Msg("xlsform.c_bounds_only"))
        length = match["subject"] != "."
        if length != (qtype == "text"):
            raise Problem(Msg("xlsform.c_subject"))
        if qtype not in ("integer", "decimal", "text"):
            raise Problem(Msg("xlsform.c_none"))
        value = _number(match["num"])
        whole = qtype in ("integer", "text")
        if whole and not isinstance(value, int):
            raise Problem(Msg("xlsform.c_whole"))
        op = match["op"]
        if op in (">", "<"):
            if not whole:
                raise Problem(Msg("xlsform.c_decimal"))
            value = value + 1 if op == ">" else value - 1
        side = ("min" if op.startswith(">") else "max")
        out[f"{side}_length" if length else side] = value
    return out
