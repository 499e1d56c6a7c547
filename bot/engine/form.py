"""The form model: ordered questions described as data, validated once at start-up.

A broken form must stop start-up with a message naming the file and the field, so parsing
collects the exact path of every problem (``bao_cao_nhanh.yaml: questions[3].max``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.engine.conditions import Condition, ConditionError, parse_condition
from bot.engine.messages import Msg
from bot.engine.questions import KINDS
from bot.engine.questions.base import QuestionKind

ATTACHMENT_KINDS = frozenset({"photo", "document", "voice", "video", "location"})
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
# Keys travel in Telegram's callback data, which holds 64 bytes with the step and owner.
MAX_KEY_LENGTH = 32


class FormError(ValueError):
    """A form definition problem; ``str()`` names the file and the field."""

    def __init__(self, source: str, path: str, problem: str) -> None:
        super().__init__(f"{source}: {path}: {problem}")
        self.source, self.path, self.problem = source, path, problem


Labels = Mapping[str, str]


@dataclass(frozen=True)
class Choice:
    key: str
    label: Labels
    aliases: tuple[str, ...] = ()

    def text(self, lang: str) -> str:
        return self.label.get(lang) or self.label["vi"]


@dataclass(frozen=True)
class Question:
    key: str
    type: str
    label: Labels
    # What the type says about answers (bot/engine/questions/<type>.py).
    kind: QuestionKind = field(compare=False, repr=False)
    required: bool = True
    choices: tuple[Choice, ...] = ()
    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    max_count: int = 10
    accept: frozenset[str] = ATTACHMENT_KINDS
    relevant: Condition | None = None
    help: Labels = field(default_factory=dict)
    # A short noun the confirmation card and tables label the answer with ("Số người ngừng
    # việc: 120"), where the label is a question ("Bao nhiêu người ngừng việc?").
    short: Labels = field(default_factory=dict)
    # Cross-field check: the answer may not exceed an earlier number's (members <= workers).
    at_most: str | None = None

    def text(self, lang: str) -> str:
        return self.label.get(lang) or self.label["vi"]

    def noun(self, lang: str) -> str:
        """What the answer is called where it is shown, not asked."""
        if self.short:
            return self.short.get(lang) or self.short["vi"]
        return self.text(lang).rstrip("?: ")

    @property
    def has_choices(self) -> bool:
        return self.kind.choices != "none"

    @property
    def free_text(self) -> bool:
        """Typed words that may name workers: they go only to the unit's direct upper level
        (privacy by level), never to levels further up, digests or their exports."""
        return self.kind.free_text


@dataclass(frozen=True)
class Form:
    id: str
    version: int
    title: Labels
    questions: tuple[Question, ...]
    # Which answers fill the report's indexed columns (category, severity).
    index: Mapping[str, str] = field(default_factory=dict)
    # What a finished draft becomes: a report (stored and numbered), or what a host use case
    # registered for this word (a directive, a unit's dissemination); checked at start-up.
    becomes: str = "report"

    def question(self, key: str) -> Question:
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)

    def position(self, key: str) -> int:
        return next(i for i, q in enumerate(self.questions) if q.key == key)

    def title_text(self, lang: str) -> str:
        return self.title.get(lang) or self.title["vi"]


def parse_form(raw: Any, source: str, yes_no: tuple[Choice, ...],
               kinds: Mapping[str, QuestionKind] = KINDS) -> Form:
    """Build a :class:`Form` from parsed YAML, raising :class:`FormError` on the first problem;
    ``kinds``: the question types a form may use."""
    if not isinstance(raw, Mapping):
        raise FormError(source, "(top)", "a form is a mapping")
    form_id = _key(raw.get("id"), source, "id")
    version = raw.get("version", 1)
    if not isinstance(version, int) or version < 1:
        raise FormError(source, "version", "must be a positive whole number")
    title = _labels(raw.get("title"), source, "title")
    items = raw.get("questions")
    if not isinstance(items, list) or not items:
        raise FormError(source, "questions", "must be a non-empty list")
    questions: list[Question] = []
    for i, item in enumerate(items):
        questions.append(_in_order(_question(item, source, f"questions[{i}]", yes_no, kinds),
                                   questions, source, f"questions[{i}]"))
    index = raw.get("index", {}) or {}
    if not isinstance(index, Mapping):
        raise FormError(source, "index", "must be a mapping")
    keys = {q.key for q in questions}
    for column, key in index.items():
        if column not in ("category", "severity") or key not in keys:
            raise FormError(source, f"index.{column}", f"unknown column or question '{key}'")
    becomes = raw.get("becomes", "report")
    if not isinstance(becomes, str) or not re.fullmatch(r"[a-z_]{1,32}", becomes):
        raise FormError(source, "becomes", "must be a lower-case word")
    return Form(form_id, version, title, tuple(questions), dict(index), becomes)


def _in_order(q: Question, earlier: list[Question], source: str, path: str) -> Question:
    """A question's key is new, and its skip logic reads only earlier answers."""
    if any(prev.key == q.key for prev in earlier):
        raise FormError(source, f"{path}.key", f"duplicate key '{q.key}'")
    unknown = q.relevant.keys() - {prev.key for prev in earlier} if q.relevant else set()
    if unknown:
        raise FormError(source, f"{path}.relevant",
                        f"refers to {sorted(unknown)}, which are not earlier questions")
    numbers = {prev.key for prev in earlier if prev.kind.name in ("integer", "decimal")}
    if q.at_most is not None and (q.at_most not in numbers
                                  or q.kind.name not in ("integer", "decimal")):
        raise FormError(source, f"{path}.at_most",
                        f"'{q.at_most}' must be an earlier number question, on a number")
    return q


def beyond(q: Question, value: Any, answers: Mapping[str, Any],
           form: Form) -> Msg | None:
    """A cross-field check (``at_most``): the reason an answer is refused, or None. The
    earlier answer may be absent (skipped): then there is nothing to hold it to."""
    limit = answers.get(q.at_most) if q.at_most else None
    if q.at_most is None or not isinstance(limit, int | float) or value is None \
            or value <= limit:
        return None
    other = form.question(q.at_most)
    return Msg("error.at_most", got=str(q.kind.card(value, q, "vi")),
               limit=str(other.kind.card(limit, other, "vi")),
               other=dict(other.short or other.label))


_QUESTION_FIELDS = frozenset({
    "key", "type", "label", "required", "choices", "min", "max", "min_length",
    "max_length", "max_count", "accept", "relevant", "help", "short", "at_most",
})


def _question(item: Any, source: str, path: str, yes_no: tuple[Choice, ...],
              kinds: Mapping[str, QuestionKind]) -> Question:
    if not isinstance(item, Mapping):
        raise FormError(source, path, "a question is a mapping")
    extra = set(item) - _QUESTION_FIELDS
    if extra:
        raise FormError(source, f"{path}.{sorted(extra)[0]}", "unknown field")
    key = _key(item.get("key"), source, f"{path}.key")
    qtype = item.get("type")
    kind = kinds.get(qtype) if isinstance(qtype, str) else None
    if kind is None:
        raise FormError(source, f"{path}.type", f"must be one of {sorted(kinds)}")
    required = item.get("required", True)
    if not isinstance(required, bool):
        raise FormError(source, f"{path}.required", "must be true or false")
    lo, hi = _bounds(item, "min", "max", _num, source, path)
    min_len, max_len = _bounds(item, "min_length", "max_length", _int, source, path)
    accept = frozenset(item.get("accept", ATTACHMENT_KINDS))
    if not accept <= ATTACHMENT_KINDS:
        raise FormError(source, f"{path}.accept", f"kinds are {sorted(ATTACHMENT_KINDS)}")
    return Question(
        key=key,
        type=kind.name,
        label=_labels(item.get("label"), source, f"{path}.label"),
        kind=kind,
        required=required,
        choices=_question_choices(item, kind, yes_no, source, path),
        min=lo,
        max=hi,
        min_length=min_len,
        max_length=max_len,
        max_count=_int(item, "max_count", source, path) or 10,
        accept=accept,
        relevant=_relevant(item, source, path),
        help=_labels(item["help"], source, f"{path}.help") if "help" in item else {},
        short=_labels(item["short"], source, f"{path}.short") if "short" in item else {},
        at_most=_key(item["at_most"], source, f"{path}.at_most") if "at_most" in item
        else None,
    )


def _question_choices(item: Mapping[str, Any], kind: QuestionKind,
                      yes_no: tuple[Choice, ...], source: str, path: str) -> tuple[Choice, ...]:
    if kind.choices == "own":
        return _choices(item.get("choices"), source, f"{path}.choices")
    if kind.choices == "yes_no":
        return yes_no
    if "choices" in item:
        raise FormError(source, f"{path}.choices", f"not allowed for type {kind.name}")
    return ()


def _bounds(item: Mapping[str, Any], low: str, high: str, read: Callable[..., Any],
            source: str, path: str) -> tuple[Any, Any]:
    lo, hi = read(item, low, source, path), read(item, high, source, path)
    if lo is not None and hi is not None and lo > hi:
        raise FormError(source, f"{path}.{low}", f"is greater than {high}")
    return lo, hi


def _relevant(item: Mapping[str, Any], source: str, path: str) -> Condition | None:
    if "relevant" not in item:
        return None
    try:
        return parse_condition(item["relevant"])
    except ConditionError as exc:
        raise FormError(source, f"{path}.relevant", str(exc)) from exc


def parse_choices(raw: Any, source: str, path: str) -> tuple[Choice, ...]:
    return _choices(raw, source, path)


def _choices(raw: Any, source: str, path: str) -> tuple[Choice, ...]:
    if not isinstance(raw, list) or not raw:
        raise FormError(source, path, "must be a non-empty list")
    out: list[Choice] = []
    for i, c in enumerate(raw):
        cpath = f"{path}[{i}]"
        if not isinstance(c, Mapping):
            raise FormError(source, cpath, "a choice is a mapping with key and label")
        key = _key(c.get("key"), source, f"{cpath}.key")
        if any(o.key == key for o in out):
            raise FormError(source, f"{cpath}.key", f"duplicate choice key '{key}'")
        aliases = c.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise FormError(source, f"{cpath}.aliases", "must be a list of strings")
        out.append(Choice(key, _labels(c.get("label"), source, f"{cpath}.label"), tuple(aliases)))
    return tuple(out)


def _key(value: Any, source: str, path: str) -> str:
    if not isinstance(value, str) or not value or not set(value) <= _KEY_CHARS:
        raise FormError(source, path, "must be a lower-case ASCII key (a-z, 0-9, _)")
    if len(value) > MAX_KEY_LENGTH:
        raise FormError(source, path, f"must be at most {MAX_KEY_LENGTH} characters")
    return value


def _labels(value: Any, source: str, path: str) -> dict[str, str]:
    if isinstance(value, str):
        value = {"vi": value}
    if not isinstance(value, Mapping) or not isinstance(value.get("vi"), str) or not value["vi"]:
        raise FormError(source, path, "needs a Vietnamese text (vi)")
    if not all(isinstance(v, str) and v for v in value.values()):
        raise FormError(source, path, "every language needs a non-empty text")
    return {str(k): str(v) for k, v in value.items()}


def _num(item: Mapping[str, Any], name: str, source: str, path: str) -> float | None:
    value = item.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormError(source, f"{path}.{name}", "must be a number")
    return value


def _int(item: Mapping[str, Any], name: str, source: str, path: str) -> int | None:
    value = item.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FormError(source, f"{path}.{name}", "must be a whole number ≥ 0")
    return value
