"""Turning Telegram messages and button presses into channel-neutral events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aiogram.types import CallbackQuery, Document, Message, Video, Voice

from bot.channels.base import CODE_PREFIX, Attachment, InboundEvent
from bot.channels.telegram.keyboard import decode

NAME = "telegram"


def _name(first: str | None, last: str | None, username: str | None) -> str:
    return " ".join(x for x in (first, last) if x) or (username or "")


def _file(kind: str, media: Document | Voice | Video, name: str | None) -> Attachment:
    return Attachment(kind, media.file_id, media.file_size or 0, name, media.mime_type)


def message_event(message: Message, update_id: int) -> InboundEvent | None:
    """A private message as an event; None for what the bot ignores (groups, other bots)."""
    user = message.from_user
    if message.chat.type != "private" or user is None or user.is_bot:
        # Conversations hold names and reports: they happen in private chats only.
        return None
    text: str | None = None
    attachment: Attachment | None = None
    unsupported: str | None = None
    if message.text is not None:
        text = message.text
    elif message.photo:
        best = message.photo[-1]  # Telegram lists sizes smallest first
        attachment = Attachment("photo", best.file_id, best.file_size or 0, None, "image/jpeg")
    elif message.document is not None:
        attachment = _file("document", message.document, message.document.file_name)
    elif message.voice is not None:
        attachment = _file("voice", message.voice, None)
    elif message.video is not None:
        attachment = _file("video", message.video, message.video.file_name)
    elif message.location is not None:
        loc = message.location
        attachment = Attachment("location", f"{loc.latitude:.6f},{loc.longitude:.6f}")
    else:
        unsupported = getattr(message.content_type, "value", str(message.content_type))
    return InboundEvent(
        channel=NAME,
        event_id=str(update_id),
        sender_id=str(user.id),
        chat_id=str(message.chat.id),
        display_name=_name(user.first_name, user.last_name, user.username),
        text=text,
        attachment=attachment,
        unsupported=unsupported,
    )


@dataclass(frozen=True)
class PressEvent:
    event: InboundEvent | None
    # Why the press is refused before it reaches the conversation.
    refusal: Literal["foreign", "unknown"] | None = None


def press_event(query: CallbackQuery, update_id: int) -> PressEvent:
    press = decode(query.data)
    user = query.from_user
    if press is None:
        return PressEvent(None, "unknown")
    if press.owner is not None and press.owner != str(user.id):
        return PressEvent(None, "foreign")
    chat_id = query.message.chat.id if query.message is not None else user.id
    code = press.key.removeprefix(CODE_PREFIX) if press.key.startswith(CODE_PREFIX) else None
    return PressEvent(InboundEvent(
        channel=NAME,
        event_id=str(update_id),
        sender_id=str(user.id),
        chat_id=str(chat_id),
        display_name=_name(user.first_name, user.last_name, user.username),
        choice=None if code else (press.version, press.key),
        code=code,
    ))
