"""gettext catalogs read straight from the .po files with Babel: no compile step needed."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from bot.engine.messages import Msg

log = logging.getLogger(__name__)
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "tinhhinh"
LANGUAGES = ("vi", "en")


class _Keep(dict[str, Any]):
    """Leave an unknown ``{placeholder}`` visible rather than crash a reply."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Translator:
    def __init__(self, catalogs: Mapping[str, Mapping[str, str]], default: str = "vi") -> None:
        self._catalogs = catalogs
        self.default = default

    @classmethod
    def load(cls, directory: Path = LOCALES_DIR, default: str = "vi") -> Translator:
        catalogs: dict[str, dict[str, str]] = {}
        for lang in LANGUAGES:
            path = directory / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=lang)
            catalogs[lang] = {
                str(m.id): str(m.string) for m in catalog if m.id and m.string and not m.fuzzy
            }
        return cls(catalogs, default)

    def messages(self, lang: str) -> Mapping[str, str]:
        return self._catalogs.get(lang, {})

    def text(self, lang: str | None, key: str, /, **params: Any) -> str:
        chosen = lang if lang is not None and lang in self._catalogs else self.default
        template = self._catalogs[chosen].get(key) or self._catalogs[self.default].get(key)
        if template is None:
            log.error("message %s has no translation", key)
            template = key
        return template.format_map(_Keep(params))

    def render(self, lang: str | None, msg: Msg) -> str:
        """The message in ``lang``; a parameter that is itself a message (a reason inside
        "row 7: ...") is rendered in the same language first, and one that is a form's labels
        ({"vi": ..., "en": ...}: a question's name in a cross-field check) is picked in it."""
        params = {k: self._param(lang, v) for k, v in msg.params.items()}
        return self.text(lang, msg.key, **params)

    def _param(self, lang: str | None, value: Any) -> Any:
        if isinstance(value, Msg):
            return self.render(lang, value)
        if isinstance(value, dict) and "vi" in value:
            return value.get(lang or self.default) or value["vi"]
        return value
