"""One step of work for one person, inside one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.channels.base import Capabilities, OutboundMessage
from bot.engine.form import ATTACHMENT_KINDS
from bot.engine.messages import Msg
from bot.i18n import Translator
from handlers.conversation.draft_state import DraftState, save
from storage.models import ChannelIdentity, Conversation, Membership, OrgUnit, Person
from storage.uow import UnitOfWork

# Roles that look after the units below them (and act on their incidents).
OFFICIAL_ROLES = frozenset({"official", "admin"})


@dataclass
class Turn:
    uow: UnitOfWork
    identity: ChannelIdentity
    person: Person
    now: datetime
    tz: ZoneInfo
    translator: Translator
    default_language: str = "vi"
    # The person's draft row as loaded with them (None: no row yet).
    conversation: Conversation | None = None
    _draft: DraftState | None = field(default=None, repr=False)
    # Whether they hold any role, when the loader already knows (saves a query a step).
    enrolled_hint: bool | None = None
    _memberships: list[tuple[Membership, OrgUnit]] | None = field(default=None, repr=False)
    # A short answer to a button press (stale keyboard...), shown as a toast where possible.
    notice: Msg | None = None
    # What this person's messenger can do (the adapter's declaration).
    channel: Capabilities | None = None
    _outgoing: list[tuple[OutboundMessage, str]] = field(default_factory=list, repr=False)
    # False on a web page: what the turn says is shown on the page (``shown``), not sent to
    # the person's chat; messages to others (alerts) go as always.
    echo: bool = True
    shown: list[str] = field(default_factory=list, repr=False)

    @property
    def inputs(self) -> frozenset[str]:
        """The kinds of attachment this person's messenger delivers to the bot."""
        return self.channel.attachments_in if self.channel is not None else ATTACHMENT_KINDS

    @property
    def draft(self) -> DraftState:
        """What the conversation holds, read from the row once per turn."""
        if self._draft is None:
            self._draft = DraftState.of(self.conversation)
        return self._draft

    async def save_draft(self, state: DraftState, conv: Conversation | None = None) -> None:
        """Write the conversation's state (making the row if the person has none yet)."""
        conv = conv or self.conversation or await self.uow.conversations.save(
            self.person.id, identity_id=self.identity.id, unit_id=None, form_id=None,
            state=None, now=self.now)
        self.conversation = conv
        await save(self.uow, conv, state, person_id=self.person.id,
                   identity_id=self.identity.id, now=self.now)
        self._draft = state

    def drafted(self, conv: Conversation, state: DraftState) -> None:
        """The row was written elsewhere in this turn (a draft started)."""
        self.conversation = conv
        self._draft = state

    @property
    def lang(self) -> str:
        return self.person.language or self.default_language

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.tz)

    def t(self, msg: Msg) -> str:
        return self.translator.render(self.lang, msg)

    async def memberships(self, *, fresh: bool = False) -> list[tuple[Membership, OrgUnit]]:
        if self._memberships is None or fresh:
            self._memberships = list(await self.uow.memberships.of_person(self.person.id))
            self.enrolled_hint = None
        return self._memberships

    async def enrolled(self) -> bool:
        if self._memberships is None and self.enrolled_hint is not None:
            return self.enrolled_hint
        return bool(await self.memberships())

    async def reply(self, message: OutboundMessage, kind: str = "reply") -> None:
        """Queue a message to this person; it is written to the outbox by ``flush``."""
        if not self.echo:
            self.shown.append(message.text)
            return
        if message.choices or message.actions:
            message = replace(message, owner=self.identity.external_id)
        self._outgoing.append((message, kind))

    async def say(self, msg: Msg) -> None:
        await self.reply(OutboundMessage(self.t(msg)))

    async def flush(self) -> None:
        """Write this turn's messages to the outbox, each plain one joined to the next.

        "Photo received" followed by the next question is one message, not two: one message
        costs a person on a weak connection less, leaves sooner under the per-chat pace
        (one a second on Telegram) and counts once against a monthly quota (Zalo).
        """
        pending: list[str] = []
        pending_kind = "reply"
        for message, kind in self._outgoing:
            if pending and kind != pending_kind:
                await self._enqueue(OutboundMessage("\n\n".join(pending)), pending_kind)
                pending = []
            if message.plain:
                pending.append(message.text)
                pending_kind = kind
                continue
            if pending:
                message = replace(message, text="\n\n".join([*pending, message.text]))
                pending = []
            await self._enqueue(message, kind)
        if pending:
            await self._enqueue(OutboundMessage("\n\n".join(pending)), pending_kind)
        self._outgoing.clear()

    async def _enqueue(self, message: OutboundMessage, kind: str) -> None:
        await self.uow.outbox.enqueue(
            identity_id=self.identity.id,
            channel=self.identity.channel,
            address=self.identity.address,
            payload=message.to_payload(),
            now=self.now,
            kind=kind,
        )
