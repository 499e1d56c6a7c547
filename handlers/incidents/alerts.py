"""Who hears about an incident, and what they read.

The ladder's levels are the unit's ancestors that have officials the messenger still reaches,
nearest first: a level with nobody on it is passed over rather than alerting no one. Each
official gets one message per alert, on one account (the delivery worker falls back to their
other messenger if that one fails).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.channels.base import OutboundMessage
from bot.engine.form import Form
from bot.engine.messages import Msg
from bot.i18n import Translator
from handlers.conversation.reply_codes import ReplyCodeGrammar
from handlers.delivery.reachability import unit_ids_upward
from handlers.people.privacy import Reader, may_read
from handlers.reports.render import Renderer
from storage.models import ChannelIdentity, Incident, OrgUnit, Person, Report
from storage.uow import UnitOfWork

# What an official can do from an alert, by the incident's state.
ACTIONS = {
    "open": ("acknowledge", "note", "resolve"),
    "reopened": ("acknowledge", "note", "resolve"),
    "acknowledged": ("note", "resolve"),
    "resolved": ("reopen",),
}


@dataclass(frozen=True)
class Recipient:
    person: Person
    identity: ChannelIdentity


@dataclass(frozen=True)
class Level:
    unit: OrgUnit
    officials: tuple[Recipient, ...]


async def levels_above(uow: UnitOfWork, unit: OrgUnit) -> list[Level]:
    """The ancestors of ``unit`` with reachable officials, nearest first; the unit itself
    when nobody above it has any (a province-level unit reporting)."""
    ladder = unit_ids_upward(unit)
    rows = await uow.memberships.officials_reachable(ladder)
    units = await uow.units.many(ladder)
    by_unit: dict[int, dict[int, Recipient]] = {}
    for membership, person, identity in rows:
        # One account per person: the first they enrolled with.
        by_unit.setdefault(membership.unit_id, {}).setdefault(
            person.id, Recipient(person, identity))
    levels = [Level(units[u], tuple(by_unit[u].values()))
              for u in ladder[1:] if u in by_unit and u in units]
    if not levels and unit.id in by_unit:
        levels = [Level(unit, tuple(by_unit[unit.id].values()))]
    return levels


# A stored file's public, signed address (None without a public base URL).
MediaUrl = Callable[[str, datetime], str | None]
# Photos sent with one alert, at most (each is one more message on a quota-counted bot).
ALERT_PHOTOS = 3


def _no_media(ref: str, now: datetime) -> str | None:
    return None


class Notifier:
    """Alert texts, and queueing any incident message to a person in their language."""

    def __init__(self, translator: Translator, renderer: Renderer, codes: ReplyCodeGrammar,
                 forms: dict[str, Form], tz: ZoneInfo, default_language: str,
                 media_url: MediaUrl = _no_media, web: bool = False) -> None:
        self.media_url = media_url
        self.web = web
        self.tr = translator
        self.renderer = renderer
        self.codes = codes
        self.forms = forms
        self.tz = tz
        self.default_language = default_language

    def lang(self, person: Person) -> str:
        return person.language or self.default_language

    def local(self, when: datetime) -> str:
        return f"{when.astimezone(self.tz):%H:%M %d/%m/%Y}"

    def severity(self, lang: str, severity: str) -> str:
        return self.tr.text(lang, f"severity.{severity}")

    def card(self, lang: str, report: Report, unit: OrgUnit, reader: Reader) -> str:
        """The report's answers as the alert shows them, free text as privacy by level allows;
        levels further up read that it is withheld and can ask the level below."""
        return self.renderer.card(lang, report, may_read(reader, unit))

    def alert(self, lang: str, incident: Incident, report: Report, unit: OrgUnit,
              lines: Sequence[Msg], *, reader: Reader) -> OutboundMessage:
        t = self.tr.render
        head = t(lang, Msg("incident.alert", severity=self.severity(lang, incident.severity),
                           number=incident.id, unit=unit.name, ref=report.ref,
                           time=self.local(report.submitted_at)))
        text = "\n".join([head, *(t(lang, m) for m in lines),
                          self.card(lang, report, unit, reader)])
        files, photos = self.files(report, unit, reader)
        if files:
            key = ("alert.files_withheld" if not may_read(reader, unit)
                   else "alert.files" if photos else "alert.files_no_web")
            text += "\n" + t(lang, Msg(key, count=files))
        return replace(self.with_actions(lang, text, incident), photos=photos)

    def files(self, report: Report, unit: OrgUnit, reader: Reader) -> tuple[int, tuple[str, ...]]:
        """How many files a report carries, and the public addresses of its photos that
        ``reader`` may see (privacy by level: photos may show workers)."""
        form = self.forms.get(report.form_id)
        items = [item for q in (form.questions if form else ()) if q.kind.gathers
                 for item in (report.answers.get(q.key) or [])]
        if not items or not may_read(reader, unit):
            return len(items), ()
        now = report.submitted_at
        urls = [self.media_url(str(i["ref"]), now) for i in items
                if i.get("kind") == "photo" and "/" in str(i.get("ref", ""))]
        return len(items), tuple(u for u in urls if u)[:ALERT_PHOTOS]

    def with_actions(self, lang: str, text: str, incident: Incident) -> OutboundMessage:
        actions = ACTIONS.get(incident.state, ())
        options, hint = self.codes.options(lambda m: self.tr.render(lang, m), incident.id,
                                           actions)
        return OutboundMessage(text, codes=options, code_hint=hint)

    async def send(
        self, uow: UnitOfWork, to: Recipient, message: OutboundMessage | Msg, now: datetime,
        *, kind: str, once: str,
    ) -> None:
        if isinstance(message, Msg):
            message = OutboundMessage(self.tr.render(self.lang(to.person), message))
        await uow.outbox.enqueue(
            identity_id=to.identity.id, channel=to.identity.channel,
            address=to.identity.address, payload=message.to_payload(), now=now, kind=kind,
            dedupe_key=f"{once}:{to.person.id}",
        )

    async def readers(self, uow: UnitOfWork, people: Sequence[Recipient]) -> dict[int, Reader]:
        """Each recipient as a reader of free text, by all of their roles (one query)."""
        roles = await uow.memberships.roles_of(sorted({r.person.id for r in people}))
        return {person: Reader.of_roles(pairs) for person, pairs in roles.items()}

    def note(self, lang: str, note: str | None, unit: OrgUnit, reader: Reader) -> str:
        """An official's note or resolution as ``reader`` may read it."""
        if not note or may_read(reader, unit):
            return note or ""
        return self.tr.text(lang, "incident.withheld")

    async def reporter(self, uow: UnitOfWork, report: Report) -> Recipient | None:
        """Where the reporter hears back: the account they filed from."""
        person = await uow.people.get(report.person_id)
        identity = await uow.identities.get(report.identity_id) if report.identity_id else None
        if person is None or identity is None:
            return None
        return Recipient(person, identity)
