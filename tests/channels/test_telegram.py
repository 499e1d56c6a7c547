"""Telegram drawing and reading, without a network: keyboards, callback data, updates."""

from __future__ import annotations

import time
from typing import Any

from aiogram.types import CallbackQuery, Message

from bot.channels.base import Option, OutboundMessage
from bot.channels.telegram.keyboard import chosen_text, decode, encode, layout
from bot.channels.telegram.updates import message_event, press_event
from bot.forms import load_catalog

BIGGEST_TELEGRAM_ID = 2**52


def rows(message: OutboundMessage) -> list[list[str]]:
    _, markup = layout(message)
    assert markup is not None
    return [[b.text for b in row] for row in markup.inline_keyboard]


def test_short_choices_share_a_row_and_long_lists_are_numbered_two_to_a_row() -> None:
    yes_no = OutboundMessage("Có người tử vong không?", (Option("co", "Có"), Option("khong",
                             "Không")), version=3, owner="5001")
    assert rows(yes_no) == [["Có", "Không"]]
    confirm = OutboundMessage("Kiểm tra lại", tuple(Option(k, v) for k, v in
                              [("gui", "Gửi"), ("sua", "Sửa"), ("huy", "Huỷ")]), version=9)
    assert rows(confirm) == [["Gửi", "Sửa", "Huỷ"]]
    form = load_catalog().forms["bao_cao_nhanh"]
    areas = tuple(Option(c.key, c.text("vi")) for c in form.question("linh_vuc").choices)
    text, markup = layout(OutboundMessage("Câu 1. Lĩnh vực phát sinh?", areas, version=1,
                                          actions=(Option("cancel", "Huỷ"),)))
    assert "\n1. Tiền lương, nợ/chậm lương\n" in text and text.endswith("12. Khác")
    assert markup is not None
    assert [len(r) for r in markup.inline_keyboard] == [2, 2, 2, 2, 2, 2, 1]
    assert markup.inline_keyboard[3][0].text == "7. Ngừng việc tập thể, đình công"
    long_few = tuple(Option(c.key, c.text("vi")) for c in form.question("tinh_trang").choices)
    assert [len(r) for r in rows(OutboundMessage("?", long_few, version=1))] == [1, 1, 1, 1]


def test_selected_choices_are_ticked_and_actions_get_their_own_row() -> None:
    message = OutboundMessage("Chọn các mục", (Option("a", "Lương"), Option("b", "Thưởng")),
                              version=2, multi=True, selected=("b",),
                              actions=(Option("back", "Quay lại"), Option("done", "Xong")))
    assert rows(message) == [["Lương", "✅ Thưởng"], ["Quay lại", "Xong"]]
    _, markup = layout(message)
    assert markup is not None and markup.inline_keyboard[1][1].callback_data == "_.2.!done"


def test_callback_data_fits_64_ascii_bytes_for_every_shipped_choice() -> None:
    catalog = load_catalog()
    keys = [c.key for f in catalog.forms.values() for q in f.questions for c in q.choices]
    keys += [c.key for c in catalog.common.confirm + catalog.common.yes_no + catalog.languages]
    keys += ["!back", "!skip", "!done", "!cancel", str(2**31)]
    for key in keys:
        for version in (0, 10**6, -int(time.time() * 1000)):
            data = encode(str(BIGGEST_TELEGRAM_ID), version, key)
            assert data.isascii() and len(data.encode()) <= 64
            press = decode(data)
            assert press is not None and (press.owner, press.version, press.key) == (
                str(BIGGEST_TELEGRAM_ID), version, key)


def test_data_the_bot_did_not_draw_is_not_a_press() -> None:
    for data in (None, "", "abc", "x.y", "1.2.", "1.!.a", "1" * 70):
        assert decode(data) is None


def test_the_question_is_edited_to_show_the_answer_picked() -> None:
    message = OutboundMessage("Câu 1?", (Option("a", "Tiền lương"),) * 1, version=1)
    text, markup = layout(message)
    data = encode(None, 1, "a")
    assert chosen_text(text, markup, data) == "Câu 1?\n\n✅ Tiền lương"
    assert chosen_text(text, markup, "_.1.zzz") == text


def _message(**fields: Any) -> Message:
    base = {"message_id": 5, "date": int(time.time()),
            "chat": {"id": 42, "type": "private", "first_name": "A"},
            "from": {"id": 42, "is_bot": False, "first_name": "Lò", "last_name": "Văn An"}}
    return Message.model_validate({**base, **fields})


def test_messages_become_events_and_groups_are_ignored() -> None:
    photo = [{"file_id": "small", "file_unique_id": "s", "width": 9, "height": 9,
              "file_size": 10},
             {"file_id": "big", "file_unique_id": "b", "width": 900, "height": 900,
              "file_size": 90000}]
    event = message_event(_message(photo=photo), 77)
    assert event is not None and event.event_id == "77" and event.display_name == "Lò Văn An"
    assert event.attachment is not None and (event.attachment.ref, event.attachment.size) == (
        "big", 90000)
    where = message_event(_message(location={"latitude": 22.5, "longitude": 104.25}), 78)
    assert where is not None and where.attachment is not None
    assert (where.attachment.kind, where.attachment.ref) == ("location", "22.500000,104.250000")
    sticker = message_event(_message(sticker={
        "file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1, "height": 1,
        "is_animated": False, "is_video": False}), 79)
    assert sticker is not None and sticker.unsupported == "sticker"
    group = _message(text="/baocao", chat={"id": -100, "type": "supergroup", "title": "G"})
    assert message_event(group, 80) is None


def test_a_press_on_someone_elses_keyboard_is_refused_before_the_conversation() -> None:
    data = encode("42", 3, "gui")
    query = CallbackQuery.model_validate({
        "id": "1", "chat_instance": "c", "data": data,
        "from": {"id": 43, "is_bot": False, "first_name": "B"},
        "message": {"message_id": 5, "date": 0, "chat": {"id": 42, "type": "private"}}})
    assert press_event(query, 90).refusal == "foreign"
    own = CallbackQuery.model_validate({**query.model_dump(by_alias=True, exclude_none=True),
                                        "from": {"id": 42, "is_bot": False, "first_name": "A"}})
    press = press_event(own, 91)
    assert press.refusal is None and press.event is not None
    assert press.event.choice == (3, "gui") and press.event.chat_id == "42"


def test_bot_api_errors_map_onto_delivery_results() -> None:
    from aiogram.exceptions import (
        TelegramBadRequest,
        TelegramForbiddenError,
        TelegramRetryAfter,
        TelegramServerError,
    )
    from aiogram.methods import SendMessage

    from bot.channels.telegram.channel import _result

    method = SendMessage(chat_id=1, text="x")
    assert _result(TelegramRetryAfter(method, "Too Many Requests", 7)).retry_after == 7
    blocked = _result(TelegramForbiddenError(method, "Forbidden: bot was blocked by the user"))
    gone = _result(TelegramBadRequest(method, "Bad Request: chat not found"))
    assert blocked.status == gone.status == "unreachable"
    assert _result(TelegramBadRequest(method, "Bad Request: can't parse entities")).status == (
        "failed")
    assert _result(TelegramServerError(method, "Internal Server Error")).status == "failed"
