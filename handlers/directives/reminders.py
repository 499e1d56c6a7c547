"""Reminders to units that have not answered a directive, on the reporting calendar's steps.

Each step is a durable fire (armed at publishing, claimed by a version check, so it runs once
across restarts and processes). It reminds only the rows still owing: "Đã nhận" not said, or,
when the directive asks for it, "Đã quán triệt" not said; one INSERT ... SELECT per language and
state, with a dedupe key per step, row and account. After the due date the officials of the
directive's unit get the list of the units still owing (the overdue list, also on the web page
and in "/chidao <số>").
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.engine.messages import Msg
from bot.i18n import Translator
from handlers.directives.messages import DirectiveTexts
from handlers.directives.publishing import Publishing
from storage.models import Fire
from storage.repositories.directives import OWING
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
NOTICE_NAMES = 15  # unit names in an overdue notice; the web page has them all


class DirectiveReminders:
    def __init__(self, publishing: Publishing, texts: DirectiveTexts,
                 translator: Translator, default_language: str) -> None:
        self.publishing = publishing
        self.texts = texts
        self.tr = translator
        self.default_language = default_language

    async def on_step(self, uow: UnitOfWork, fire: Fire, now: datetime) -> None:
        directive = await uow.directives.get(int(fire.payload["directive"]))
        step = str(fire.payload["step"])
        if directive is None or directive.status != "published":
            return  # withdrawn (its fires were cancelled) or gone
        unit = await uow.units.get(directive.unit_id)
        assert unit is not None
        base = self.publishing.base_url()
        sent = 0
        for state in OWING[directive.asks]:
            for lang in self.texts.languages:
                text = self.texts.sent(lang, directive, unit.name, "directive.head_reminder",
                                       base.rstrip("/") if base else None, None, owing=state,
                                       due_note=_note(step, state))
                sent += await uow.directives.send(
                    directive.id, text, self.default_language, now, kind="reminder",
                    key=f"dremind:{directive.id}:{step}", states=(state,))
        owing = await uow.directives.stepped(directive.id, step, OWING[directive.asks], now)
        log.info("directive %s step %s: %d units owe, %d reminders", directive.id, step,
                 owing, sent)
        if step == "overdue_1" and owing:
            await self.notify_officials(uow, directive.id, now)

    async def notify_officials(self, uow: UnitOfWork, directive_id: int,
                               now: datetime) -> None:
        """The directive's unit's officials: which units have not answered by the due date."""
        directive = await uow.directives.get(directive_id)
        assert directive is not None
        owing = [row.unit.name for row in await uow.directives.ledger(directive.id, None)
                 if row.recipient.state in OWING[directive.asks]]
        for _membership, person, identity in await uow.memberships.officials_reachable(
                [directive.unit_id]):
            lang = person.language or self.default_language
            names = "\n".join(f"• {n}" for n in owing[:NOTICE_NAMES])
            more = (self.tr.render(lang, Msg("calendar.overdue_more",
                                             count=len(owing) - NOTICE_NAMES))
                    if len(owing) > NOTICE_NAMES else "")
            text = self.tr.render(lang, Msg("directive.overdue_notice", number=directive.id,
                                            title=directive.title, count=len(owing),
                                            names=names, more=more))
            await uow.outbox.enqueue(
                identity_id=identity.id, channel=identity.channel, address=identity.address,
                payload={"text": text}, now=now, kind="notice",
                dedupe_key=f"doverdue:{directive.id}:{person.id}")


def _note(step: str, state: str) -> Msg:
    """What the reminder says of the time left, and of what is still owed."""
    owed = "received" if state == "pending" else "disseminated"
    if step.startswith("before_"):
        return Msg(f"directive.remind_before_{owed}", days=int(step.split("_")[1]))
    if step == "due":
        return Msg(f"directive.remind_due_{owed}")
    return Msg(f"directive.remind_overdue_{owed}")
