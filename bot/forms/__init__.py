"""Loading the shipped forms and shared vocabularies (YAML beside this file)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.engine.commands import CommandVocabulary
from bot.engine.conversation import CommonChoices
from bot.engine.form import Choice, Form, FormError, parse_choices, parse_form

FORMS_DIR = Path(__file__).parent
_NOT_FORMS = {"common.yaml", "commands.yaml", "policy.yaml"}


@dataclass(frozen=True)
class FormCatalog:
    forms: dict[str, Form]
    common: CommonChoices
    draft_switch: tuple[Choice, ...]
    languages: tuple[Choice, ...]
    commands: CommandVocabulary
    navigation: CommandVocabulary
    # language -> [(command name, slash word)], in menu order
    menu: dict[str, list[tuple[str, str]]]
    # action -> {code, words, note}: the reply-code grammar's data
    # (handlers/conversation/reply_codes.py)
    reply_codes: dict[str, Any]


def shipped_surveys(directory: Path = FORMS_DIR / "surveys") -> dict[str, Path]:
    """The shipped survey forms (XLSForm .xlsx), by form id (each file is named for its
    form_id): imported into the database on first use (handlers/surveys/campaigns.py)."""
    return {path.stem: path for path in sorted(directory.glob("*.xlsx"))}


def load_catalog(directory: Path = FORMS_DIR) -> FormCatalog:
    """Read and validate every form; a broken file raises FormError naming file and field."""
    common_raw = _read(directory / "common.yaml")
    src = "common.yaml"
    common = CommonChoices(
        yes_no=parse_choices(common_raw.get("yes_no"), src, "yes_no"),
        confirm=parse_choices(common_raw.get("confirm"), src, "confirm"),
    )
    words = _read(directory / "commands.yaml")
    forms: dict[str, Form] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name in _NOT_FORMS:
            continue
        form = parse_form(_read(path), path.name, common.yes_no)
        if form.id in forms:
            raise FormError(path.name, "id", f"form id '{form.id}' is used twice")
        if not (directory / f"{path.stem}.md").exists():
            raise FormError(path.name, "(file)", f"missing its flow diagram {path.stem}.md")
        forms[form.id] = form
    return FormCatalog(
        forms=forms,
        common=common,
        draft_switch=parse_choices(common_raw.get("draft_switch"), src, "draft_switch"),
        languages=parse_choices(common_raw.get("languages"), src, "languages"),
        commands=CommandVocabulary(words.get("commands", {}),
                                   with_arg=dict(words.get("arguments") or {})),
        navigation=CommandVocabulary(words.get("navigation", {})),
        menu=_menu(words),
        reply_codes=dict(words.get("reply_codes") or {}),
    )


def _menu(words: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    src = "commands.yaml"
    commands = CommandVocabulary(words.get("commands", {}))
    menu: dict[str, list[tuple[str, str]]] = {}
    for lang, entries in (words.get("menu") or {}).items():
        if not isinstance(entries, dict):
            raise FormError(src, f"menu.{lang}", "must map command names to slash words")
        for name, word in entries.items():
            path = f"menu.{lang}.{name}"
            if not isinstance(word, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", word):
                raise FormError(src, path, "a menu word is 1-32 of a-z, 0-9, _")
            parsed = commands.parse(f"/{word}")
            if parsed is None or parsed.name != name:
                raise FormError(src, path, f"'{word}' is not a word of the command '{name}'")
        menu[lang] = [(str(name), str(word)) for name, word in entries.items()]
    return menu


def _read(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise FormError(path.name, "(yaml)", str(exc).splitlines()[0]) from exc
    if not isinstance(data, dict):
        raise FormError(path.name, "(top)", "must be a mapping")
    return data
