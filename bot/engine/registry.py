"""A registry that refuses a second entry for the same key.

Commands, reply codes, intents, effect appliers and channel adapters are wired in one
place (bot/app.py); a duplicate there used to replace the first silently, so a use case
could lose its command without a sign. Registering twice now stops start-up, naming the key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class DuplicateRegistration(ValueError):
    """Raised at start-up: two parts claimed the same key."""

    def __init__(self, registry: str, key: object) -> None:
        super().__init__(f"{registry}: '{key}' is registered twice")
        self.registry = registry
        self.key = key


class Registry(Mapping[K, V], Generic[K, V]):
    """A mapping filled once at start-up; ``add`` fails on a key already present."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._items: dict[K, V] = {}

    def add(self, key: K, value: V) -> None:
        if key in self._items:
            raise DuplicateRegistration(self.name, key)
        self._items[key] = value

    def replace(self, key: K, value: V) -> None:
        """Stand in for a registered entry on purpose (a test's probe); never silent: the
        key must be registered already."""
        if key not in self._items:
            raise KeyError(f"{self.name}: '{key}' is not registered")
        self._items[key] = value

    def update_from(self, items: Mapping[K, V]) -> None:
        """``add`` each item, in order (a use case's table of codes or commands)."""
        for key, value in items.items():
            self.add(key, value)

    def __getitem__(self, key: K) -> V:
        return self._items[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
