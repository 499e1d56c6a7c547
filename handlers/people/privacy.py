"""Privacy by level: the one rule that decides who reads a report's free text.

Descriptions, proposals, resolution notes and officials' notes may name workers. They are
read by the officials whose unit is the reporting unit's direct upper level, and by the
reporting unit's own people (the chair who wrote it hears the resolution). Above the direct
upper level, people read counts and categories only: "(withheld)" stands in the text's place.
The rule depends on who reads, never on what is being looked at: a province official
exporting a district's subtree reads what the province may read, not what the district may.

Every path that shows free text asks ``may_read``: alerts, escalations, unresolved
reminders, resolved and reopened notices, refusals that quote a resolution, chat exports with
or without a unit argument, and the command-line export (an administrator's, withheld unless
asked for explicitly; its audit row says which).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from handlers.conversation.turn import OFFICIAL_ROLES
from storage.models import Membership, OrgUnit


@dataclass(frozen=True)
class Reader:
    """Someone about to read a report's words, by the units of their roles."""

    official_units: frozenset[int] = frozenset()
    own_units: frozenset[int] = frozenset()
    # The command line's explicit flag: an administrator at the server, on purpose.
    everything: bool = False

    @classmethod
    def of(cls, roles: Iterable[tuple[Membership, OrgUnit]]) -> Reader:
        pairs = [(m.role, u.id) for m, u in roles]
        return cls.of_roles(pairs)

    @classmethod
    def of_roles(cls, roles: Iterable[tuple[str, int]]) -> Reader:
        pairs = list(roles)
        return cls(frozenset(unit for role, unit in pairs if role in OFFICIAL_ROLES),
                   frozenset(unit for _, unit in pairs))


NOBODY = Reader()
EVERYONE = Reader(everything=True)


def may_read(reader: Reader, unit: OrgUnit) -> bool:
    """Whether ``reader`` may read the free text of a report filed by ``unit``."""
    return may_read_of(reader, unit.id, unit.parent_id)


def may_read_of(reader: Reader, unit_id: int, parent_id: int | None) -> bool:
    """``may_read`` for a unit known by its id and its parent's (rows read page by page)."""
    if reader.everything or unit_id in reader.own_units:
        return True
    return parent_id is not None and parent_id in reader.official_units
