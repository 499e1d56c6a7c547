"""Linking a person's Telegram and Zalo accounts with a short code, with consent.

"/lienket" on one messenger gives a code. Typed on the other messenger ("lienket CODE"), it
asks the account that made the code for consent, naming the messenger and the display name
that typed it; only "LK n" there (a button on Telegram) joins the typing account to the
code's person: one set of roles and reports, and the delivery worker can send through the
other messenger when one cannot deliver (handlers.delivery.fallback). "KLK n" refuses.

Roles travel only one way. The account that types a code joins the person who made it, so it
must hold no roles of its own: otherwise a chair could collect an official's roles by getting
the official to type the chair's code (or any code). Someone enrolled on both messengers
asks an administrator. Every request, link and refusal is in the audit log.
"""

from __future__ import annotations

from datetime import timedelta

from bot.channels.base import ChannelBook, OutboundMessage
from bot.engine.messages import Msg
from handlers.conversation.reply_codes import ReplyAction, ReplyCode, ReplyCodeGrammar
from handlers.conversation.turn import Turn
from handlers.people.enrolment import new_code, normalise_code
from storage.models import ChannelIdentity, LinkCode

CODE_LENGTH = 6
ACCEPT, REFUSE = "link_accept", "link_refuse"


class Linking:
    def __init__(self, valid_minutes: int, wrong_codes_per_hour: int,
                 codes: ReplyCodeGrammar, channels: ChannelBook) -> None:
        self.channels = channels
        self.valid = timedelta(minutes=valid_minutes)
        self.limit = wrong_codes_per_hour
        self.codes = codes

    @property
    def actions(self) -> dict[str, ReplyAction]:
        """The reply codes of a consent question; anyone may answer (enrolled or not)."""
        return {ACCEPT: self.accept, REFUSE: self.refuse}

    async def offer(self, turn: Turn) -> None:
        uow = turn.uow
        code = new_code(CODE_LENGTH)
        while await uow.links.exists(code):
            code = new_code(CODE_LENGTH)
        await uow.links.create(code, turn.person.id, turn.identity.id, turn.now + self.valid,
                               turn.now)
        await turn.say(Msg("link.code", code=code, minutes=int(self.valid.total_seconds() // 60)))

    def _title(self, channel: str) -> str:
        return self.channels.capabilities(channel).title

    # -- the code typed on the other account ------------------------------------------------
    async def redeem(self, turn: Turn, text: str) -> None:
        uow, now = turn.uow, turn.now
        failures = await uow.audit.count_since(turn.identity.id, "link.failed",
                                               now - timedelta(hours=1))
        if failures >= self.limit:
            await turn.say(Msg("link.rate_limited", limit=self.limit))
            return
        code = normalise_code(text)
        link = await uow.links.lock(code) if len(code) == CODE_LENGTH else None
        problem = None
        if link is None or link.used_at is not None:
            problem = "link.wrong"
        elif link.expires_at <= now:
            problem = "link.expired"
        if problem is not None or link is None:
            await self._audit(turn, "link.failed", code[:16], {"reason": problem})
            await turn.say(Msg(problem or "link.wrong"))
            return
        origin = await uow.identities.get(link.identity_id)
        if link.person_id == turn.person.id or origin is None:
            await turn.say(Msg("link.already"))
            return
        if origin.channel == turn.identity.channel:
            await turn.say(Msg("link.same_channel"))
            return
        if await turn.enrolled():
            await self._audit(turn, "link.refused", f"link:{link.id}", {"reason": "has_roles"})
            await turn.say(Msg("link.has_roles"))
            return
        await uow.links.request(link.id, turn.identity.id, now)
        await self._audit(turn, "link.requested", f"link:{link.id}",
                          {"from": turn.identity.channel, "to": origin.channel})
        await self._ask_consent(turn, link, origin)
        await turn.say(Msg("link.asked", other=self._title(origin.channel),
                           name=origin.display_name or "-"))

    async def _ask_consent(self, turn: Turn, link: LinkCode, origin: ChannelIdentity) -> None:
        """To the account that made the code: who typed it, and the two answers."""
        person = await turn.uow.people.get(origin.person_id)
        lang = (person.language if person else None) or turn.default_language

        def t(msg: Msg) -> str:
            return turn.translator.render(lang, msg)

        options, hint = self.codes.options(t, link.id, (ACCEPT, REFUSE))
        text = t(Msg("link.consent", other=self._title(turn.identity.channel),
                     name=turn.identity.display_name or "-"))
        await turn.uow.outbox.enqueue(
            identity_id=origin.id, channel=origin.channel, address=origin.address, now=turn.now,
            payload=OutboundMessage(text, codes=options, code_hint=hint,
                                    owner=origin.external_id).to_payload(), kind="reply",
            dedupe_key=f"link-consent:{link.id}:{turn.identity.id}")

    # -- the answer, on the account that made the code --------------------------------------
    async def accept(self, turn: Turn, code: ReplyCode) -> None:
        found = await self._pending(turn, code)
        if found is None:
            return
        link, other = found
        uow, now = turn.uow, turn.now
        joining = await uow.people.get(other.person_id)
        if joining is None or await uow.memberships.of_person(joining.id):
            # The other account took a role since it asked: it cannot be joined now.
            await uow.links.use(link.id, now)
            await self._audit(turn, "link.refused", f"link:{link.id}", {"reason": "has_roles"})
            await turn.say(Msg("link.has_roles"))
            return
        source = joining.id
        await uow.links.merge_people(source=source, target=turn.person.id)
        await uow.links.use(link.id, now)
        uow.identities.moved(other, turn.person.id)
        await self._audit(turn, "identity.linked",
                          f"{turn.identity.channel}+{other.channel}",
                          {"merged_person": source, "joined_identity": other.id})
        await turn.say(Msg("link.done", other=self._title(other.channel)))
        await self._tell(turn, other, Msg("link.done", other=self._title(turn.identity.channel)))

    async def refuse(self, turn: Turn, code: ReplyCode) -> None:
        found = await self._pending(turn, code)
        if found is None:
            return
        link, other = found
        await turn.uow.links.use(link.id, turn.now)
        await self._audit(turn, "link.refused", f"link:{link.id}",
                          {"reason": "declined", "identity": other.id})
        await turn.say(Msg("link.declined_you"))
        await self._tell(turn, other, Msg("link.declined"))

    async def _pending(self, turn: Turn,
                       code: ReplyCode) -> tuple[LinkCode, ChannelIdentity] | None:
        """The link request ``code`` names, if this account made it and it still waits."""
        link = await turn.uow.links.lock_id(code.ref)
        other = (await turn.uow.identities.get(link.pending_identity_id)
                 if link is not None and link.pending_identity_id else None)
        if (link is None or other is None or link.identity_id != turn.identity.id
                or link.used_at is not None):
            await turn.say(Msg("link.no_request"))
            return None
        if link.requested_at is None or link.requested_at + self.valid <= turn.now:
            await turn.say(Msg("link.expired"))
            return None
        return link, other

    async def _tell(self, turn: Turn, to: ChannelIdentity, msg: Msg) -> None:
        await turn.uow.outbox.enqueue(
            identity_id=to.id, channel=to.channel, address=to.address, now=turn.now,
            payload=OutboundMessage(turn.t(msg)).to_payload(), kind="reply")

    async def _audit(self, turn: Turn, action: str, subject: str,
                     details: dict[str, object]) -> None:
        await turn.uow.audit.write(action, turn.now, subject=subject, details=details,
                                   person_id=turn.person.id, identity_id=turn.identity.id)
