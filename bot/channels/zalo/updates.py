"""Zalo updates: accepting both envelope shapes and turning messages into neutral events.

An update is ``{event_name, message: {from, chat, text, message_id, date}}``; getUpdates and
some webhook deliveries wrap it as ``{ok, result: <update>}``. Dates are in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.channels.base import Attachment, InboundEvent

TEXT = "message.text.received"
IMAGE = "message.image.received"
STICKER = "message.sticker.received"
VOICE = "message.voice.received"
UNSUPPORTED = "message.unsupported.received"


@dataclass(frozen=True)
class ZaloUpdate:
    event_name: str
    message_id: str
    sender_id: str
    chat_id: str
    chat_type: str
    display_name: str
    text: str | None
    photo_url: str | None
    sent_at: datetime | None

    @property
    def private(self) -> bool:
        return self.chat_type.upper() in ("PRIVATE", "")


def unwrap(body: Any) -> list[dict[str, Any]]:
    """The updates in a body of either shape (a list is tolerated too)."""
    if isinstance(body, dict) and "result" in body and "event_name" not in body:
        body = body["result"]
    if isinstance(body, list):
        return [u for u in body if isinstance(u, dict)]
    return [body] if isinstance(body, dict) else []


@dataclass(frozen=True)
class Malformed:
    """A body that is not a readable update: kept aside with the reason, never applied."""

    reason: str
    message_id: str = ""


def parse(raw: dict[str, Any]) -> ZaloUpdate | Malformed | None:
    """An update; Malformed for a body that is not one (no message, no sender, no id, a
    field of the wrong kind); None for what the bot ignores (another bot's message).

    Never raises: one odd update must not stop polling (a date out of range once did)."""
    try:
        return _parse(raw)
    except (TypeError, ValueError, OverflowError, OSError, AttributeError) as exc:
        return Malformed(f"{type(exc).__name__}: {exc}"[:300], _message_id(raw))


def _message_id(raw: dict[str, Any]) -> str:
    message = raw.get("message")
    value = message.get("message_id") if isinstance(message, dict) else None
    return str(value)[:100] if isinstance(value, str | int) and value else ""


def _parse(raw: dict[str, Any]) -> ZaloUpdate | Malformed | None:
    message = raw.get("message")
    if not isinstance(message, dict):
        return Malformed("no message")
    sender = message.get("from") or {}
    chat = message.get("chat") or {}
    if not isinstance(sender, dict) or not isinstance(chat, dict):
        return Malformed("from or chat is not an object", _message_id(raw))
    sender_id = str(sender.get("id") or "")
    message_id = str(message.get("message_id") or "")
    if sender.get("is_bot"):
        return None
    if not sender_id or not message_id:
        return Malformed("no sender or message id", message_id)
    if len(sender_id) > 100 or len(message_id) > 100:
        return Malformed("an id over 100 characters", message_id[:100])
    date = message.get("date")
    sent_at = None
    if isinstance(date, int | float) and date > 0:
        sent_at = datetime.fromtimestamp(date / 1000, UTC)
    photo = message.get("photo_url") or message.get("photo")
    name = sender.get("display_name") or sender.get("first_name") or sender.get("name") or ""
    text = message.get("text")
    return ZaloUpdate(
        event_name=str(raw.get("event_name") or (TEXT if message.get("text") else "")),
        message_id=message_id,
        sender_id=sender_id,
        chat_id=str(chat.get("id") or sender_id),
        chat_type=str(chat.get("chat_type") or "PRIVATE"),
        display_name=str(name)[:200],
        text=text if isinstance(text, str) else None,
        photo_url=photo if isinstance(photo, str) and photo else None,
        sent_at=sent_at,
    )


def event(channel: str, update: ZaloUpdate, *, attachment: Attachment | None = None,
          unsupported: str | None = None) -> InboundEvent:
    """The neutral event; the message id is the dedupe key (unique per bot)."""
    text = update.text if update.event_name == TEXT else None
    if update.event_name not in (TEXT, IMAGE) and unsupported is None:
        # Named for Zalo: the explanation says what the bot takes there (text and photos).
        unsupported = {STICKER: "zalo_sticker", VOICE: "zalo_voice"}.get(update.event_name,
                                                                          "zalo_other")
    return InboundEvent(
        channel=channel,
        event_id=update.message_id,
        sender_id=update.sender_id,
        chat_id=update.chat_id,
        display_name=update.display_name,
        text=text,
        attachment=attachment,
        unsupported=unsupported,
    )
