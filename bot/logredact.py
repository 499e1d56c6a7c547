"""Keeping bot tokens out of every log line, including those of aiohttp and aiogram.

A Bot API token sits in the request URL (``/bot<token>/sendMessage``), and HTTP clients put
URLs in their error messages. Filters on handlers miss records of handlers added later (a
test's capture, a library's own), so redaction happens where every record is made: the
logging record factory. It rewrites the message, its arguments and any traceback text.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

MASK = "<redacted>"
# A Telegram token: the bot id, a colon, 35 characters of base64url.
_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}")

_lock = threading.Lock()
_secrets: set[str] = set()
_installed: list[Callable[..., logging.LogRecord]] = []


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _TOKEN.sub(MASK, text)


def install(secrets: Iterable[str | None] = ()) -> None:
    """Redact these secrets (and anything shaped like a bot token) from all log records."""
    with _lock:
        _secrets.update(s for s in secrets if s and len(s) >= 6)
        if _installed:
            return
        previous = logging.getLogRecordFactory()
        _installed.append(previous)

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _clean(record)
            return record

        logging.setLogRecordFactory(factory)


def _clean(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: log what we have, redacted
        message = f"{record.msg!s} {record.args!r}"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
