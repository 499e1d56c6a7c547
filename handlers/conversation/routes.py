"""What the router's registries hold: how a command runs, and who may use a reply code."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from handlers.conversation.reply_codes import ReplyAction
from handlers.conversation.turn import Turn

# A command and what follows it ("/xuat 2026-10": "2026-10"; None when nothing does).
CommandHandler = Callable[[Turn, str | None], Awaitable[None]]
# Who may use a reply code: the officials it is shown to, chairs (reminder buttons), anyone
# (answering a link request, enrolled or not).
Audience = Literal["officials", "chairs", "anyone"]


@dataclass(frozen=True)
class CommandRoute:
    handler: CommandHandler
    # Open to people without a role (/start, /help, /language, /link).
    everyone: bool = False
    # Inside a draft the words are an answer instead ("không có gì mới").
    answer_in_draft: bool = False
    # Show the draft's question again afterwards.
    resume: bool = True


@dataclass(frozen=True)
class ActionRoute:
    handler: ReplyAction
    audience: Audience


def no_arg(handler: Callable[[Turn], Awaitable[None]]) -> CommandHandler:
    """A command that takes no argument, as the registry holds commands."""

    async def run(turn: Turn, arg: str | None) -> None:
        await handler(turn)

    return run
