"""The channel contract, run over every adapter: the console, Telegram (its peer), Zalo (its
peer) and the in-memory channel. Each case asks what the adapter declares
(``capabilities``) and checks that the user sees exactly that."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.base import OutboundFile, OutboundMessage
from storage.models import ChannelIdentity, Conversation, OutboxMessage
from storage.uow import UnitOfWork
from tests.channels.contract import HARNESSES, Harness, Seen

Q1 = "Câu 1."
TIEN_LUONG = "Tiền lương, nợ/chậm lương"


@pytest.fixture(params=list(HARNESSES))
def channel_peer(request: pytest.FixtureRequest) -> tuple[str, Any]:
    """The channel, and the peer it talks to (started here: outside any event loop)."""
    name = request.param
    wanted = HARNESSES[name][1]
    return name, request.getfixturevalue(wanted) if wanted else None


@pytest.fixture
async def user(channel_peer: tuple[str, Any], sqlite_url: str,
               tmp_path: Path) -> AsyncIterator[Harness]:
    name, peer = channel_peer
    harness = HARNESSES[name][0](sqlite_url, tmp_path, peer)
    try:
        await harness.enrol()
        yield harness  # type: ignore[misc]
    finally:
        await harness.close()


async def answers(user: Harness) -> dict[str, Any]:
    async with user.app.uows() as uow:
        conv = await uow.session.scalar(
            select(Conversation).join(ChannelIdentity,
                                      ChannelIdentity.person_id == Conversation.person_id)
            .where(ChannelIdentity.external_id == user.address))
    assert conv is not None and conv.state is not None
    return dict(conv.state["session"]["answers"])


async def identity_of(uow: UnitOfWork, user: Harness) -> ChannelIdentity:
    found = await uow.session.scalar(select(ChannelIdentity).where(
        ChannelIdentity.channel == user.adapter.name,
        ChannelIdentity.external_id == user.address))
    assert found is not None
    return found


async def last(user: Harness) -> Seen:
    return (await user.seen())[-1]


async def test_choices_show_as_declared_and_are_answered_by_number_label_and_button(
    user: Harness,
) -> None:
    await user.say("/baocao")
    question = await last(user)
    assert Q1 in question.text
    if user.capabilities.choices == "buttons":
        assert any(b.endswith(TIEN_LUONG) for b in question.buttons)
    else:
        assert f"  1. {TIEN_LUONG}" in question.text and not question.buttons
    await user.say("7")  # by number
    assert await answers(user) == {"linh_vuc": "ngung_viec"}
    await user.say("quay lai")
    await user.say("tien luong")  # by label, typed without diacritics
    assert await answers(user) == {"linh_vuc": "tien_luong"}
    if user.capabilities.buttons:
        await user.say("quay lai")
        await user.press("Tiền thưởng, phúc lợi")
        assert await answers(user) == {"linh_vuc": "thuong"}


async def test_a_text_over_the_limit_arrives_in_parts_within_it(user: Harness) -> None:
    limit = user.capabilities.max_text
    lines = [f"{n:05d} " + "ư" * 60 for n in range(3 * limit // 60)]
    message = OutboundMessage("\n".join(lines))
    before = len(await user.seen())
    assert (await user.adapter.send(user.address, message)).status == "sent"
    parts = (await user.seen())[before:]
    assert len(parts) == user.adapter.parts(message) >= 3
    assert all(len(p.text) <= limit for p in parts)
    assert "\n".join(p.text for p in parts).split("\n") == lines


@pytest.mark.parametrize("kind", ["document", "photo"])
async def test_files_go_where_the_channel_takes_them_and_the_text_always(
    user: Harness, kind: str
) -> None:
    app = user.app
    async with app.uows() as uow:
        identity = await identity_of(uow, user)
        name = f"bao-cao.{'xlsx' if kind == 'document' else 'png'}"
        file_id = await uow.files.add(name, "application/octet-stream", b"PK\x03\x04 data",
                                      app.clock.now())
        payload = OutboundMessage("📎 Tệp báo cáo", file=OutboundFile(file_id, kind, name))
        await uow.outbox.enqueue(identity_id=identity.id, channel=identity.channel,
                                 address=identity.address, payload=payload.to_payload(),
                                 now=app.clock.now())
        await uow.commit()
    await app.delivery.drain()
    arrived = await last(user)
    takes = (user.capabilities.files_out if kind == "document"
             else user.capabilities.photos_out)
    assert arrived.file == (name if takes else None)
    assert "📎 Tệp báo cáo" in arrived.text


async def test_a_photo_sent_to_the_bot_arrives_as_a_photo(user: Harness) -> None:
    assert user.capabilities.photos_in
    await user.say("/baocao")
    await user.say("7")
    # At a number question the photo arrives as an attachment (not as something the
    # messenger could not carry) and is refused as an answer, with the question again.
    await user.photo()
    assert await answers(user) == {"linh_vuc": "ngung_viec"}
    reply = (await last(user)).text.split("\n")
    assert reply[:2] == ["Câu này không cần tệp đính kèm.", "Câu 2. Bao nhiêu người ngừng việc?"]


async def test_a_refusal_becomes_the_delivery_result_it_means(user: Harness) -> None:
    found = []
    for expected, refuse in user.refusals():
        await refuse()
        result = await user.adapter.send(user.address, OutboundMessage("Kiểm tra"))
        found.append(result.status)
        assert result.status == expected, result
        if expected == "retry":
            assert result.retry_after is not None and result.retry_after > 0
    # The console cannot refuse: every send arrives.
    assert found or (await user.adapter.send(user.address, OutboundMessage("x"))).status == \
        "sent"


async def test_an_unreachable_user_is_marked_and_not_written_to_again(user: Harness) -> None:
    refusals = dict(user.refusals())
    if "unreachable" not in refusals:
        assert user.refusals() == []  # the console: nobody is ever unreachable
        return
    await refusals["unreachable"]()
    await user.say("/trogiup")  # the reply is refused: the account is marked
    async with user.app.uows() as uow:
        identity = await identity_of(uow, user)
        rows = (await uow.session.scalars(select(OutboxMessage).where(
            OutboxMessage.identity_id == identity.id).order_by(OutboxMessage.id))).all()
    assert identity.unreachable_at is not None
    assert rows[-1].status == "dead"


async def test_a_repeated_update_is_answered_once(user: Harness) -> None:
    before = len(await user.seen())
    await user.say_twice("xin chao")
    assert len((await user.seen())[before:]) == 1
