"""Conditions over answers, written as plain YAML mappings.

One small grammar serves both the forms' ``relevant`` skip logic and the hot-spot rules:

    {linh_vuc: ngung_viec}                       equality
    {tinh_trang: [chua, can_ho_tro]}             membership
    {so_nguoi: {gte: 50}}                         comparison: eq ne in gt gte lt lte
    {all: [...]} {any: [...]} {not: {...}}        combinators
A mapping with several keys means all of them. A missing answer satisfies no comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

_OPS = frozenset({"eq", "ne", "in", "gt", "gte", "lt", "lte"})


class ConditionError(ValueError):
    pass


@dataclass(frozen=True)
class Compare:
    key: str
    op: str
    value: Any

    def holds(self, answers: Mapping[str, Any]) -> bool:
        if self.key not in answers:
            return False
        actual = answers[self.key]
        if self.op == "eq":
            return _same(actual, self.value)
        if self.op == "ne":
            return not _same(actual, self.value)
        if self.op == "in":
            return any(_same(actual, v) for v in self.value)
        left, right = _number(actual), _number(self.value)
        if left is None or right is None:
            return False
        return {
            "gt": left > right,
            "gte": left >= right,
            "lt": left < right,
            "lte": left <= right,
        }[self.op]

    def keys(self) -> set[str]:
        return {self.key}


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]

    def holds(self, answers: Mapping[str, Any]) -> bool:
        return all(p.holds(answers) for p in self.parts)

    def keys(self) -> set[str]:
        return set().union(*(p.keys() for p in self.parts)) if self.parts else set()


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]

    def holds(self, answers: Mapping[str, Any]) -> bool:
        return any(p.holds(answers) for p in self.parts)

    def keys(self) -> set[str]:
        return set().union(*(p.keys() for p in self.parts)) if self.parts else set()


@dataclass(frozen=True)
class Not:
    part: Condition

    def holds(self, answers: Mapping[str, Any]) -> bool:
        return not self.part.holds(answers)

    def keys(self) -> set[str]:
        return self.part.keys()


Condition = Compare | AllOf | AnyOf | Not


def parse_condition(raw: Any) -> Condition:
    if not isinstance(raw, Mapping) or not raw:
        raise ConditionError("a condition is a non-empty mapping")
    parts = [part for key, value in raw.items() for part in _parts(str(key), value)]
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def _parts(key: str, value: Any) -> list[Condition]:
    """One entry of a condition mapping: a combinator, or a field with its test."""
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            raise ConditionError(f"'{key}' takes a non-empty list")
        subs = tuple(parse_condition(v) for v in value)
        return [AllOf(subs) if key == "all" else AnyOf(subs)]
    if key == "not":
        return [Not(parse_condition(value))]
    if isinstance(value, Mapping):
        return [_compare(key, op, operand) for op, operand in value.items()]
    if isinstance(value, list):
        return [Compare(key, "in", value)]
    return [Compare(key, "eq", value)]


def _compare(key: str, op: Any, operand: Any) -> Compare:
    if op not in _OPS:
        raise ConditionError(f"unknown operator '{op}' for '{key}'")
    if op == "in" and not isinstance(operand, list):
        raise ConditionError(f"'in' for '{key}' takes a list")
    return Compare(key, op, operand)


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list):
        return expected in actual
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected or actual == expected
    left, right = _number(actual), _number(expected)
    if left is not None and right is not None:
        return left == right
    return bool(actual == expected)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None
