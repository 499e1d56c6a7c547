"""Drawing a neutral message for Telegram: inline keyboards and compact callback data.

callback_data holds 64 bytes, and Vietnamese letters take two or three each, so a button
carries only ASCII: whose keyboard it is, which step it was drawn for, and the choice key,
as ``<owner>.<step>.<key>`` with numbers in base 36. The step lets the conversation refuse a
press on an old keyboard; the owner lets the adapter refuse someone else's.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.base import ACTION_PREFIX, CODE_PREFIX, OutboundMessage

MAX_CALLBACK_BYTES = 64
MAX_TEXT = 4096
# Above this many choices with long labels, the text lists them numbered and the buttons go
# two to a row with their numbers: a phone shows about 35 characters per button row.
LONG_LIST = 6
THREE_PER_ROW = 10  # labels up to this long go three to a row
TWO_PER_ROW = 16
CHOSEN_MARK = "✅"
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _b36(number: int) -> str:
    if number < 0:
        return "-" + _b36(-number)
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = _DIGITS[rest] + out
        if number == 0:
            return out


@dataclass(frozen=True)
class Press:
    owner: str | None
    version: int
    key: str


def encode(owner: str | None, version: int, key: str) -> str:
    head = _b36(int(owner)) if owner and owner.lstrip("-").isdigit() else "_"
    data = f"{head}.{_b36(version)}.{key}"
    if not data.isascii() or len(data) > MAX_CALLBACK_BYTES:
        # Form keys are short ASCII by validation (bot/engine/form.py); this is a bug.
        raise ValueError(f"callback data too long or not ASCII: {data!r}")
    return data


def decode(data: str | None) -> Press | None:
    """The press, or None for data this bot did not draw."""
    if not data or len(data) > MAX_CALLBACK_BYTES:
        return None
    parts = data.split(".", 2)
    if len(parts) != 3 or not parts[2]:
        return None
    owner_raw, version_raw, key = parts
    try:
        owner = None if owner_raw == "_" else str(int(owner_raw, 36))
        version = int(version_raw, 36)
    except ValueError:
        return None
    return Press(owner, version, key)


def layout(message: OutboundMessage) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text to send and its keyboard (None when there is nothing to press)."""
    text = message.text
    version = message.version if message.version is not None else 0
    rows: list[list[InlineKeyboardButton]] = []
    labels = [o.label for o in message.choices]
    numbered = len(labels) > LONG_LIST and max(map(len, labels)) > TWO_PER_ROW
    if numbered:
        text += "\n\n" + "\n".join(f"{i}. {label}" for i, label in enumerate(labels, 1))
    buttons = []
    for i, option in enumerate(message.choices, 1):
        label = f"{i}. {option.label}" if numbered else option.label
        if option.key in message.selected:
            label = f"{CHOSEN_MARK} {label}"
        buttons.append(InlineKeyboardButton(
            text=label, callback_data=encode(message.owner, version, option.key)))
    rows.extend(_rows(buttons, labels, numbered))
    if message.actions:
        rows.append([
            InlineKeyboardButton(
                text=a.label, callback_data=encode(message.owner, version, ACTION_PREFIX + a.key))
            for a in message.actions
        ])
    if message.codes:
        # Reply codes act on an item (an incident...), not on a question: no step version.
        rows.append([
            InlineKeyboardButton(
                text=c.label, callback_data=encode(message.owner, 0, CODE_PREFIX + c.key))
            for c in message.codes
        ])
    link = message.link
    if link is not None and link.url.startswith("https://"):
        # Telegram refuses URL buttons to plain-http or local addresses: those go as text.
        rows.append([InlineKeyboardButton(text=link.label, url=link.url)])
    elif link is not None and link.url:
        text += f"\n\n{link.label}: {link.url}"
    return text, InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def _rows(
    buttons: list[InlineKeyboardButton], labels: list[str], numbered: bool
) -> list[list[InlineKeyboardButton]]:
    if not buttons:
        return []
    longest = max(map(len, labels))
    if numbered or longest <= TWO_PER_ROW:
        per_row = 3 if not numbered and longest <= THREE_PER_ROW and len(buttons) != 4 else 2
    else:
        per_row = 1
    return [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]


def chosen_text(text: str, markup: InlineKeyboardMarkup | None, data: str) -> str:
    """The question as it reads after the press: its text and the answer picked."""
    label = next(
        (b.text for row in (markup.inline_keyboard if markup else []) for b in row
         if b.callback_data == data),
        None,
    )
    if label is None:
        return text
    label = label.removeprefix(CHOSEN_MARK).strip()
    number, dot, rest = label.partition(". ")
    if dot and number.isdigit():
        label = rest
    tail = f"\n\n{CHOSEN_MARK} {label}"
    return text[: MAX_TEXT - len(tail)] + tail
