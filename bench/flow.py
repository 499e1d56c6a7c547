"""The rapid report as eight typed updates, the same for every peer."""

from __future__ import annotations

import itertools
import time

from aiogram import Bot
from aiogram.types import Update

# /baocao, then: area 1 (wages), severity 2, 25 workers, a description, status 2 (being
# handled; no proposal asked), no attachments, send.
STEPS = ["/baocao", "1", "2", "25", "Chậm lương tháng 10 cho 25 người lao động", "2", "xong",
         "gui"]

_update_ids = itertools.count(1)


def updates(bot: Bot, user_id: int, rounds: int = 1) -> list[Update]:
    out = []
    for _ in range(rounds):
        for n, text in enumerate(STEPS):
            uid = next(_update_ids)
            data = {"update_id": uid, "message": {
                "message_id": uid, "date": int(time.time()), "text": text,
                "chat": {"id": user_id, "type": "private", "first_name": "B"},
                "from": {"id": user_id, "is_bot": False, "first_name": "B"},
                **({"entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]}
                   if n == 0 else {}),
            }}
            out.append(Update.model_validate(data, context={"bot": bot}))
    return out
