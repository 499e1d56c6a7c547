"""Writing, publishing, correcting and withdrawing a directive (văn bản chỉ đạo).

An official (or an administrator) writes to the grassroots units under one of their own units:
all of them, or chosen ones, never a unit outside. A directive is first a draft, read back
before it goes out (the web page's review; the chat's confirmation card); publishing opens its
ledger (one row per unit), sends it to every chair and arms the reminder steps. A correction is
a new version that every unit is told of; a withdrawal stops the reminders and tells them too.
Every change is in the audit log with who made it.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.engine import calendar as cal
from bot.engine.messages import Msg
from bot.policy import DirectiveRule
from handlers.conversation.turn import OFFICIAL_ROLES
from handlers.directives.messages import DirectiveTexts
from handlers.reports.page import NotYours
from storage.directive_models import Directive
from storage.models import OrgUnit
from storage.uow import UnitOfWork

STEP = "directive.step"
ASKS = ("received", "disseminated")
TITLE, BODY = (5, 200), (10, 2000)
# What a directive's document may be (read from its first bytes, never its name).
DOCUMENTS = {b"%PDF-": ("application/pdf", "pdf"),
             b"PK\x03\x04": ("application/vnd.openxmlformats-officedocument."
                             "wordprocessingml.document", "docx")}


class Refused(Exception):
    """What the person is told instead (a Vietnamese message), nothing changed."""

    def __init__(self, msg: Msg) -> None:
        super().__init__(msg.key)
        self.msg = msg


@dataclass(frozen=True)
class Actor:
    person_id: int
    identity_id: int | None
    via: str  # a messenger's name, "web"


@dataclass(frozen=True)
class Written:
    """What an official wrote: the directive's words and what it asks."""

    title: str
    body: str
    due_on: date
    asks: str
    units: tuple[int, ...] = ()  # chosen units; none: every CĐCS below
    file_name: str | None = None
    file_data: bytes | None = None


def document_type(data: bytes) -> tuple[str, str] | None:
    """(mime, extension) of a PDF or a Word (.docx) file, by its content: a PDF's first
    bytes, or a zip holding a Word document's main part (an .xlsx or any other zip is not)."""
    found = next((t for magic, t in DOCUMENTS.items() if data.startswith(magic)), None)
    if found is None or found[1] != "docx":
        return found
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return found if "word/document.xml" in archive.namelist() else None
    except zipfile.BadZipFile:
        return None


def check(written: Written, today: date, max_bytes: int) -> Msg | None:
    """The first thing wrong with what was written, as the message that says so."""
    if not TITLE[0] <= len(written.title.strip()) <= TITLE[1]:
        return Msg("directive.bad_title", min=TITLE[0], max=TITLE[1])
    if not BODY[0] <= len(written.body.strip()) <= BODY[1]:
        return Msg("directive.bad_body", min=BODY[0], max=BODY[1])
    if not today < written.due_on <= today + timedelta(days=366):
        return Msg("directive.bad_due")
    if written.asks not in ASKS:
        return Msg("directive.bad_asks")
    if written.file_data is not None:
        if len(written.file_data) > max_bytes:
            return Msg("directive.file_too_big", mb=f"{max_bytes / 1024 / 1024:g}")
        if document_type(written.file_data) is None:
            return Msg("directive.file_kind")
    return None


async def official_units(uow: UnitOfWork, person_id: int) -> list[OrgUnit]:
    return [u for m, u in await uow.memberships.of_person(person_id)
            if m.role in OFFICIAL_ROLES]


def manages(units: Sequence[OrgUnit], directive_unit: OrgUnit) -> bool:
    """An official of the directive's unit or of a unit above it manages it."""
    return any(directive_unit.path.startswith(u.path) for u in units)


class Publishing:
    def __init__(self, texts: DirectiveTexts, rule: DirectiveRule, tz: ZoneInfo,
                 default_language: str, base_url: Callable[[], str | None],
                 max_bytes: int) -> None:
        self.texts = texts
        self.rule = rule
        self.tz = tz
        self.default_language = default_language
        self.base_url = base_url
        self.max_bytes = max_bytes

    def today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    # -- a draft ------------------------------------------------------------------------------
    async def write(self, uow: UnitOfWork, actor: Actor, unit_id: int, written: Written,
                    now: datetime) -> Directive:
        """A draft directive of ``unit_id`` (one of the actor's official units); chosen units
        must be CĐCS under it. Raises ``Refused`` with the reason, ``NotYours`` for a unit
        that is not the actor's to write to."""
        unit = next((u for u in await official_units(uow, actor.person_id) if u.id == unit_id),
                    None)
        if unit is None:
            raise NotYours(unit_id)
        problem = check(written, self.today(now), self.max_bytes)
        if problem is not None:
            raise Refused(problem)
        chosen = sorted(set(written.units))
        if chosen and len(await uow.directives.audience(unit.path, chosen)) != len(chosen):
            raise NotYours(chosen)
        kind = document_type(written.file_data) if written.file_data is not None else None
        directive = await uow.directives.add(
            unit_id=unit.id, author_person_id=actor.person_id, title=written.title.strip(),
            body=written.body.strip(), asks=written.asks, due_on=written.due_on,
            status="draft", version=1, audience={"units": chosen} if chosen else {},
            file_name=_file_name(written.file_name, kind[1]) if kind else None,
            file_mime=kind[0] if kind else None, file_data=written.file_data,
            created_at=now, updated_at=now, published_at=None, withdrawn_at=None)
        await self._audit(uow, "directive.drafted", directive, actor, now)
        return directive

    async def managed(self, uow: UnitOfWork, actor: Actor, directive_id: int,
                      *, lock: bool = False) -> tuple[Directive, OrgUnit]:
        """The directive, if the actor is an official of its unit or above it."""
        directive = await uow.directives.get(directive_id, lock=lock)
        unit = await uow.units.get(directive.unit_id) if directive else None
        if directive is None or unit is None or not manages(
                await official_units(uow, actor.person_id), unit):
            raise NotYours(directive_id)
        return directive, unit

    async def discard(self, uow: UnitOfWork, actor: Actor, directive_id: int,
                      now: datetime) -> None:
        directive, _ = await self.managed(uow, actor, directive_id, lock=True)
        if directive.status != "draft":
            raise Refused(Msg("directive.not_draft"))
        await self._audit(uow, "directive.discarded", directive, actor, now)
        await uow.directives.drop(directive.id)

    # -- going out ------------------------------------------------------------------------------
    async def publish(self, uow: UnitOfWork, actor: Actor, directive_id: int,
                      now: datetime) -> int:
        """Send a draft: its ledger, every chair's message, the reminder steps. Returns the
        number of units it went to."""
        directive, unit = await self.managed(uow, actor, directive_id, lock=True)
        if directive.status != "draft":
            raise Refused(Msg("directive.not_draft"))
        units = await uow.directives.audience(unit.path, directive.audience.get("units", ()))
        if not units:
            raise Refused(Msg("directive.no_units"))
        await uow.directives.open_ledger(directive.id, units, now)
        directive.status, directive.published_at, directive.updated_at = "published", now, now
        await self._send(uow, directive, unit, "directive.head_new", now)
        await uow.fires.ensure_many(self._steps(directive, now), now)
        await self._audit(uow, "directive.published", directive, actor, now,
                          units=len(units))
        return len(units)

    async def correct(self, uow: UnitOfWork, actor: Actor, directive_id: int,
                      written: Written, now: datetime) -> Directive:
        """A new version of a published directive (its units stay); every unit is told."""
        directive, unit = await self.managed(uow, actor, directive_id, lock=True)
        if directive.status != "published":
            raise Refused(Msg("directive.not_published"))
        problem = check(written, self.today(now), self.max_bytes)
        if problem is not None:
            raise Refused(problem)
        old_due = directive.due_on
        directive.title, directive.body = written.title.strip(), written.body.strip()
        directive.due_on, directive.asks = written.due_on, written.asks
        if written.file_data is not None:
            kind = document_type(written.file_data)
            assert kind is not None  # checked above
            directive.file_name = _file_name(written.file_name, kind[1])
            directive.file_mime, directive.file_data = kind[0], written.file_data
        directive.version += 1
        directive.updated_at = now
        if old_due != directive.due_on:
            for target in self._targets(directive.id, old_due):
                await uow.fires.cancel_target(target)
            await uow.fires.ensure_many(self._steps(directive, now), now)
        await self._send(uow, directive, unit, "directive.head_corrected", now)
        await self._audit(uow, "directive.corrected", directive, actor, now,
                          version=directive.version)
        return directive

    async def withdraw(self, uow: UnitOfWork, actor: Actor, directive_id: int,
                       now: datetime) -> None:
        directive, _ = await self.managed(uow, actor, directive_id, lock=True)
        if directive.status != "published":
            raise Refused(Msg("directive.not_published"))
        directive.status, directive.withdrawn_at, directive.updated_at = "withdrawn", now, now
        for target in self._targets(directive.id, directive.due_on):
            await uow.fires.cancel_target(target)
        for lang in self.texts.languages:
            await uow.directives.send(directive.id, self.texts.withdrawn(lang, directive),
                                      self.default_language, now, kind="notice",
                                      key=f"directive:{directive.id}:withdrawn")
        await self._audit(uow, "directive.withdrawn", directive, actor, now)

    # -- parts ----------------------------------------------------------------------------------
    async def _send(self, uow: UnitOfWork, directive: Directive, unit: OrgUnit, head: str,
                    now: datetime) -> None:
        file_id = None
        if directive.file_data is not None and directive.file_name is not None:
            file_id = await uow.files.add(directive.file_name, directive.file_mime or "",
                                          directive.file_data, now)
        base = self.base_url()
        for lang in self.texts.languages:
            sent = self.texts.sent(lang, directive, unit.name, head,
                                   base.rstrip("/") if base else None, file_id)
            await uow.directives.send(directive.id, sent, self.default_language, now,
                                      kind="notice",
                                      key=f"directive:{directive.id}:v{directive.version}")

    def _targets(self, directive_id: int, due: date) -> list[str]:
        return [f"directive:{directive_id}:{due.isoformat()}:{s.name}"
                for s in cal.reminder_steps(due, self.rule, self.tz)]

    def _steps(self, directive: Directive, now: datetime
               ) -> list[tuple[str, str, datetime, dict[str, object]]]:
        """The reminder steps still to come (one already past is not run late)."""
        steps = cal.reminder_steps(directive.due_on, self.rule, self.tz)
        return [(STEP, f"directive:{directive.id}:{directive.due_on.isoformat()}:{s.name}",
                 s.at, {"directive": directive.id, "step": s.name})
                for s in steps if s.at > now]

    @staticmethod
    async def _audit(uow: UnitOfWork, action: str, directive: Directive, actor: Actor,
                     now: datetime, **details: object) -> None:
        await uow.audit.write(action, now, subject=f"directive:{directive.id}",
                              details={"version": directive.version, "via": actor.via,
                                       **details},
                              person_id=actor.person_id, identity_id=actor.identity_id)


def _file_name(given: str | None, extension: str) -> str:
    """The document's name as people see it: the uploaded name's last part (a label only,
    never a path), with the extension its content has."""
    base = (given or "").replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0].strip()
    safe = "".join(c for c in base if c.isalnum() or c in " -_()")[:80].strip() or "van-ban"
    return f"{safe}.{extension}"
