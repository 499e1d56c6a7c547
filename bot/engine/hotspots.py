"""Hot-spot rules: which answers open an incident, and how severe it is.

The rules are data (``hot_spots`` in bot/forms/policy.yaml, overridable per province); this
is the one small evaluator over them. Every rule that holds is kept, so the incident can say
why it opened; the highest severity among them wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.engine.conditions import Condition


@dataclass(frozen=True)
class HotSpotRule:
    id: str
    severity: str
    when: Condition


@dataclass(frozen=True)
class HotSpot:
    severity: str
    rules: tuple[str, ...]  # every rule that matched, in policy order


@dataclass(frozen=True)
class HotSpotRules:
    form_id: str
    severities: tuple[str, ...]  # highest first
    rules: tuple[HotSpotRule, ...]

    def evaluate(self, form_id: str, answers: Mapping[str, Any]) -> HotSpot | None:
        """The incident these answers open, or None for a plain report."""
        if form_id != self.form_id:
            return None
        matched = [rule for rule in self.rules if rule.when.holds(answers)]
        if not matched:
            return None
        severity = min((r.severity for r in matched), key=self.severities.index)
        return HotSpot(severity, tuple(r.id for r in matched))

    def rank(self, severity: str) -> int:
        """0 for the highest severity."""
        return self.severities.index(severity)


def rules_from(
    form_id: str, severities: Sequence[str], rules: Sequence[HotSpotRule]
) -> HotSpotRules:
    return HotSpotRules(form_id, tuple(severities), tuple(rules))
