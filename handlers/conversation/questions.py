"""Short questions asked outside a draft's steps, and the answers they wait for.

A use case asks a numbered question (which period to export, which report to file) or a
free-text one (an incident's note); the question is kept in the conversation (``Pending``)
and the next event answers it. The questions are registered once, by kind; this object is
what use cases are given, so they never call back into the router.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.channels.base import InboundEvent, Option, OutboundMessage
from bot.engine.answers import match_choice
from bot.engine.form import Choice
from bot.engine.messages import Msg
from bot.engine.registry import Registry
from handlers.conversation.draft_state import Pending
from handlers.conversation.turn import Turn
from handlers.reports.flow import ReportFlow

# A use case's answer to a free-text question it asked (an incident note...).
TextAnswer = Callable[[Turn, dict[str, Any], InboundEvent], Awaitable[None]]


class HostQuestion(Protocol):
    """A use case's short numbered question outside a draft (which periodic report...)."""

    async def choices(self, turn: Turn, pending: dict[str, Any]) -> list[Choice]: ...

    async def answer(self, turn: Turn, pending: dict[str, Any], key: str) -> None: ...


class HostQuestions:
    def __init__(self, flow: ReportFlow) -> None:
        self.flow = flow
        self.questions: Registry[str, HostQuestion] = Registry("host question")
        self.text_answers: Registry[str, TextAnswer] = Registry("text question")

    def add_question(self, kind: str, question: HostQuestion) -> None:
        """A use case's host question; the draft's question shows again after its answer."""
        self.questions.add(kind, _Resuming(question, self.flow))

    async def ask(self, turn: Turn, pending: Pending, error: Msg | None = None) -> None:
        """Ask a registered host question; its answer comes to the question's ``answer``."""
        choices = await self.questions[pending.kind].choices(turn, dict(pending.data))
        lines = [turn.t(error)] if error else []
        lines.append(turn.t(Msg(f"pending.{pending.kind}")))
        # Host questions number their keyboards below zero, apart from the draft's steps,
        # by the time they were drawn, so an older host keyboard never answers a newer one.
        version = -int(turn.now.timestamp() * 1000)
        await turn.reply(
            OutboundMessage(
                text="\n".join(lines),
                choices=tuple(Option(c.key, c.text(turn.lang)) for c in choices),
                version=version,
                number_hint=turn.t(Msg("ask.number_hint", count=len(choices))),
            )
        )
        await turn.save_draft(turn.draft.asking(Pending(pending.kind, pending.data, version)))

    async def ask_choice(self, turn: Turn, pending: dict[str, Any]) -> None:
        """For use cases: ask their registered question (``pending["kind"]``)."""
        data = {k: v for k, v in pending.items() if k != "kind"}
        await self.ask(turn, Pending(str(pending["kind"]), data))

    async def ask_text(self, turn: Turn, prompt: Msg, pending: dict[str, Any]) -> None:
        """Ask a use case's free-text question; the next text is its answer (text_answers)."""
        await turn.say(prompt)
        data = {k: v for k, v in pending.items() if k != "kind"}
        await turn.save_draft(turn.draft.asking(Pending(str(pending["kind"]), data)))

    async def is_current(self, turn: Turn, pending: Pending, press: tuple[int, str]) -> bool:
        """A press answers the question only on the keyboard drawn for it, with one of its
        choices."""
        version, key = press
        if version != pending.version:
            return False
        choices = await self.questions[pending.kind].choices(turn, dict(pending.data))
        return key in {c.key for c in choices}

    async def answer(self, turn: Turn, pending: Pending, event: InboundEvent) -> None:
        """The event as the answer (a number, a label or a press); asked again if it is none."""
        question = self.questions[pending.kind]
        data = dict(pending.data)
        choices = await question.choices(turn, data)
        key: str | None = None
        error: Msg | None = Msg("error.choice_unknown", count=len(choices))
        if event.choice is not None:
            key = event.choice[1] if event.choice[1] in {c.key for c in choices} else None
        elif event.text is not None:
            key, error = match_choice(event.text, choices)
        if key is None:
            await self.ask(turn, pending, error)
            return
        await question.answer(turn, data, key)


class _Resuming:
    """A use case's host question: after its answer the draft's question shows again."""

    def __init__(self, question: HostQuestion, flow: ReportFlow) -> None:
        self.question = question
        self.flow = flow

    async def choices(self, turn: Turn, pending: dict[str, Any]) -> list[Choice]:
        return await self.question.choices(turn, pending)

    async def answer(self, turn: Turn, pending: dict[str, Any], key: str) -> None:
        session = turn.draft.session  # the draft the question interrupted, if any
        await self.question.answer(turn, pending, key)
        if session is not None:
            await self.flow.resume(turn, session)
