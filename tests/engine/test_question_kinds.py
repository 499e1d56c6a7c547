"""A question type is one module: a 1–5 star rating typed as a digit, written here as a
survey would add it, is parsed, checked, shown in the chat and on the card, and exported,
with nothing else changed; a form may use only the types registered, and a type is
registered once. (The shipped 1–5 scale, chosen like a choice, is bot/engine/questions/
scale.py, tested in tests/forms/test_xlsform.py.)"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.engine import effects as fx
from bot.engine.conversation import Engine, EngineConfig
from bot.engine.form import Form, FormError, Question, parse_form
from bot.engine.inputs import TextInput
from bot.engine.messages import Msg
from bot.engine.questions import KINDS, registry
from bot.engine.questions.base import Parsed, Plain
from bot.engine.registry import DuplicateRegistration
from bot.forms import load_catalog
from bot.i18n import Translator
from handlers.exports.workbook import WorkbookWriter
from handlers.reports.render import Renderer

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CATALOG = load_catalog()
SURVEY = {"id": "khao_sat", "version": 1, "title": {"vi": "Khảo sát đoàn viên"},
          "questions": [{"key": "hai_long", "type": "stars",
                         "label": {"vi": "Mức hài lòng với công đoàn?"}}]}


class Stars(Plain):
    """1 (not at all) to 5 (fully): typed as the digit."""

    name = "stars"

    def parse(self, text: str, q: Question, today: date | None) -> Parsed:
        raw = text.strip()
        if raw in {"1", "2", "3", "4", "5"}:
            return int(raw), None
        return None, Msg("error.number_range", min="1", max="5")

    def card(self, value: Any, q: Question, lang: str) -> str | Msg:
        return f"{value}/5"

    def hint(self, q: Question, inputs: frozenset[str]) -> Msg | None:
        return Msg("hint.number_range", min="1", max="5")

    def cell(self, value: Any, q: Question, lang: str) -> Any:
        return int(value)


def survey() -> Form:
    kinds = registry(*KINDS.values(), Stars())
    return parse_form(SURVEY, "khao_sat.yaml", CATALOG.common.yes_no, kinds)


def test_a_new_type_is_one_module_end_to_end() -> None:
    form = survey()
    engine = Engine({form.id: form}, CATALOG.common, EngineConfig())
    tr = Translator.load(default="vi")
    renderer = Renderer(tr, engine, TZ)
    started = engine.start(form.id)
    assert started.session is not None
    asked = renderer.ask("vi", form, started.session, form.questions[0], None)
    assert asked.text.split("\n")[1] == "Nhập một số từ 1 đến 5."  # the type's hint
    refused = engine.step(started.session, TextInput("7"))
    assert refused.session is not None and refused.session.answers == {}
    assert [e.error for e in refused.effects if isinstance(e, fx.Ask)] == [
        Msg("error.number_range", min="1", max="5")]
    taken = engine.step(refused.session, TextInput("4"))
    assert taken.session is not None and taken.session.answers == {"hai_long": 4}
    card = renderer.confirm("vi", form, taken.session, taken.session.version, None)
    assert "1) Mức hài lòng với công đoàn: 4/5" in card.text.split("\n")
    writer = WorkbookWriter({form.id: form}, None, tr, TZ)  # type: ignore[arg-type]
    assert writer._answer(form.questions[0], 4) == 4  # a number cell, not text


def test_a_form_may_use_only_registered_types() -> None:
    with pytest.raises(FormError) as failure:
        parse_form(SURVEY, "khao_sat.yaml", CATALOG.common.yes_no)
    assert failure.value.path == "questions[0].type"
    assert "stars" not in str(failure.value) and "yes_no" in str(failure.value)


def test_a_type_is_registered_once() -> None:
    with pytest.raises(DuplicateRegistration, match="question type: 'stars'"):
        registry(Stars(), Stars())
    assert sorted(KINDS) == ["attachments", "choice", "date", "decimal", "integer",
                             "multi_choice", "scale", "text", "yes_no"]
