"""A message key plus parameters; the host translates it through gettext (locales/)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Msg:
    """An untranslated message: ``Msg("error.too_short", min=10)``.

    The key is a gettext msgid; tests extract every ``Msg("...")`` call and check the catalogs.
    """

    __slots__ = ("key", "params")

    def __init__(self, key: str, /, **params: Any) -> None:
        self.key = key
        self.params: Mapping[str, Any] = params

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and (self.key, dict(self.params)) == (
            other.key,
            dict(other.params),
        )

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"Msg({self.key!r}, {dict(self.params)!r})"
