"""The escalation ladder of one incident, as numbered steps (PagerDuty-style, up the tree).

Step 0 alerts the nearest level above the unit. Each later step comes one acknowledgement
deadline after the one before: it brings in the next level up and alerts again every level
already alerted, each at most ``repeats_per_level`` times after its first alert. Acknowledging
or resolving stops the ladder (the host cancels its fire).

Levels are indexes into the unit's ancestors that have officials, nearest first; the ladder
never names units, so it stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.engine.working_time import WorkingCalendar


@dataclass(frozen=True)
class Ladder:
    hours: Literal["always", "working"]
    ack_minutes: float
    repeats_per_level: int
    unresolved_hours: float
    unresolved_reminders: int

    def to_dict(self) -> dict[str, Any]:
        """Stored with the incident: editing the policy does not rewrite open incidents."""
        return {"hours": self.hours, "ack_minutes": self.ack_minutes,
                "repeats_per_level": self.repeats_per_level,
                "unresolved_hours": self.unresolved_hours,
                "unresolved_reminders": self.unresolved_reminders}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ladder:
        return cls(data["hours"], float(data["ack_minutes"]), int(data["repeats_per_level"]),
                   float(data["unresolved_hours"]), int(data["unresolved_reminders"]))

    def first_alert(self, opened: datetime, calendar: WorkingCalendar) -> datetime:
        """When step 0 goes: at once, or at the next opening of working hours."""
        return opened if self.hours == "always" else calendar.next_open(opened)

    def due(self, step: int, first: datetime, calendar: WorkingCalendar) -> datetime:
        """When step ``step`` goes, counted from step 0 so a late run never drifts."""
        minutes = step * self.ack_minutes
        if self.hours == "always":
            return first + timedelta(minutes=minutes)
        return calendar.add(first, minutes)

    def alerts(self, step: int, levels: int) -> list[tuple[int, int]]:
        """(level, repeat) pairs alerted at this step; repeat 0 is a level's first alert."""
        if levels <= 0:
            return []
        out = []
        for level in range(min(step, levels - 1) + 1):
            repeat = step - level
            if repeat <= self.repeats_per_level:
                out.append((level, repeat))
        return out

    def has_more(self, step: int, levels: int) -> bool:
        """Whether any step after this one alerts anybody."""
        top = max(levels - 1, 0)
        return step + 1 <= top + self.repeats_per_level

    def unresolved_due(
        self, acknowledged: datetime, reminder: int, calendar: WorkingCalendar
    ) -> datetime:
        """When reminder number ``reminder`` (1-based) about an unresolved incident goes."""
        at = acknowledged + timedelta(hours=self.unresolved_hours * reminder)
        return at if self.hours == "always" else calendar.next_open(at)
