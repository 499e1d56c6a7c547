"""A whole form's answers at once (bot/engine/page.py): read by the question types, in form
order, so skip logic, bounds and reasons are the chat's; pure like the engine's step."""

from __future__ import annotations

import copy
from datetime import date

from bot.engine import effects as fx
from bot.engine.conversation import Engine, EngineConfig
from bot.engine.inputs import AttachmentInput
from bot.engine.messages import Msg
from bot.engine.page import detach, fill, read
from bot.engine.session import CONFIRM
from bot.forms import load_catalog

CATALOG = load_catalog()
ENGINE = Engine(CATALOG.forms, CATALOG.common, EngineConfig(max_attachment_bytes=1000))
TODAY = date(2026, 11, 17)


def start():  # type: ignore[no-untyped-def]
    session = ENGINE.start("bao_cao_nhanh").session
    assert session is not None
    return session


def test_answers_are_read_by_their_types_and_skip_logic_follows_them() -> None:
    session = start()
    before = copy.deepcopy(session)
    filled = fill(ENGINE, session, {
        "linh_vuc": "ngung_viec", "so_nguoi_ngung_viec": "1.500", "muc_do": "khan_cap",
        "so_nguoi_bi_thuong": "3",  # belongs to another branch: not read
    }, TODAY)
    assert session == before  # pure: the given session is not changed
    answers = filled.session.answers
    assert answers == {"linh_vuc": "ngung_viec", "so_nguoi_ngung_viec": 1500,
                       "muc_do": "khan_cap"}
    # The chat continues at the first open question (a strike's head count is not asked
    # twice: "so_nguoi" is skipped on this branch).
    assert filled.session.step == "mo_ta"
    assert filled.session.history == ["linh_vuc", "so_nguoi_ngung_viec", "muc_do"]
    assert any(isinstance(e, fx.ScheduleFire) and e.kind == "draft.expire"
               for e in filled.outcome.effects)
    # Another field: the branch's answer is dropped, as an edit in chat drops it.
    again = fill(ENGINE, filled.session, {"linh_vuc": "tien_luong"}, TODAY)
    assert "so_nguoi_ngung_viec" not in again.session.answers


def test_a_refused_answer_keeps_the_earlier_one_and_says_why_in_the_chats_words() -> None:
    session = fill(ENGINE, start(), {"so_nguoi": "12"}, TODAY).session
    filled = fill(ENGINE, session, {"so_nguoi": "mười hai", "linh_vuc": "khong_co"}, TODAY)
    assert filled.session.answers["so_nguoi"] == 12
    q = ENGINE.forms["bao_cao_nhanh"].question("so_nguoi")
    chat_reason = q.kind.parse("mười hai", q, TODAY)[1]  # what the chat says to the same text
    assert chat_reason is not None and filled.errors["so_nguoi"] == chat_reason
    assert filled.errors["linh_vuc"] == Msg("error.choice_unknown", count=0)
    assert read(ENGINE, ENGINE.forms["bao_cao_nhanh"].question("so_nguoi"), " ", TODAY) == \
        (None, None)  # blank: no answer, not a wrong one


def test_asking_for_the_card_skips_optional_questions_and_names_missing_ones() -> None:
    session = fill(ENGINE, start(), {"linh_vuc": "khac", "muc_do": "binh_thuong"}, TODAY).session
    filled = fill(ENGINE, session, {}, TODAY, finish=True)
    assert set(filled.errors) == {"so_nguoi", "mo_ta", "tinh_trang"}
    assert all(m == Msg("error.required") for m in filled.errors.values())
    done = fill(ENGINE, session, {"so_nguoi": "3", "mo_ta": "Công nhân phản ánh về ca đêm",
                                  "tinh_trang": "da_xong"}, TODAY, finish=True)
    assert done.at_card and done.session.step == CONFIRM
    assert "dinh_kem" in done.session.skipped


def test_files_are_added_refused_and_taken_back_like_in_chat() -> None:
    session = start()
    photo = AttachmentInput("photo", "web/2026-11/a.jpg", 500, "a.jpg", "image/jpeg")
    added = ENGINE.attach(session, "dinh_kem", photo).session
    assert added is not None and len(added.answers["dinh_kem"]) == 1
    too_big = ENGINE.attach(added, "dinh_kem", AttachmentInput("photo", "web/b.jpg", 5000))
    assert any(isinstance(e, fx.Ask) and e.error is not None
               and e.error.key == "error.attachment_too_big" for e in too_big.effects)
    back = detach(ENGINE, added, "dinh_kem", 0).session
    assert back is not None and "dinh_kem" not in back.answers
    assert detach(ENGINE, added, "dinh_kem", 7).session.answers == added.answers  # type: ignore
