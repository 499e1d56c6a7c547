"""/xuat and `tinhhinh export`: a subtree's reports, incidents and ledger for a period, in Excel.

In a chat the workbook is built by a fire ("export.build") after the command's own
transaction, so the official gets an answer at once and the file a moment later; it goes as a
document on Telegram. Zalo cannot carry files: the file goes to the official's Telegram
account when they have linked one, otherwise they are told how to get it. An official exports
only their own subtrees; every export, and every refusal, writes an audit row.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.channels.base import ChannelBook, OutboundFile, OutboundMessage
from bot.engine.form import Choice
from bot.engine.messages import Msg
from bot.i18n import Translator
from handlers.conversation.turn import OFFICIAL_ROLES, Turn
from handlers.exports.period import ExportPeriod, parse_period, recent_periods
from handlers.exports.workbook import ExportSummary, WorkbookWriter
from handlers.people.privacy import Reader
from storage.models import ChannelIdentity, Fire, OrgUnit
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

BUILD = "export.build"
PENDING = "export"
# Channels that can carry a document (the console shows its name and size).
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

AskChoice = Callable[[Turn, dict[str, Any]], Awaitable[None]]


def file_name(unit: OrgUnit, period: ExportPeriod) -> str:
    return f"tinhhinh-{unit.code}-{period.key}.xlsx"


def period_label(t: Callable[[Msg], str], period: ExportPeriod) -> str:
    if period.every == "month":
        return t(Msg("export.period.month", month=f"{period.start:%m}", year=period.start.year))
    if period.every == "quarter":
        q = (period.start.month - 1) // 3 + 1
        return t(Msg("export.period.quarter", roman=("I", "II", "III", "IV")[q - 1],
                     year=period.start.year))
    return t(Msg("export.period.year", year=period.start.year))


async def audit_export(uow: UnitOfWork, summary: ExportSummary, now: datetime, *,
                       via: str, free_text: str, person_id: int | None = None,
                       identity_id: int | None = None, label: str = "") -> None:
    """``free_text``: "by_level" (a chat export: as privacy by level allows), "all" or
    "withheld" (the command line, with or without its explicit flag)."""
    await uow.audit.write("export", now, subject=f"unit:{summary.unit}",
                          details={"period": summary.period, "via": via,
                                   "rows": dict(summary.sheets), "free_text": free_text},
                          person_id=person_id, identity_id=identity_id, label=label)


class ExportDesk:
    def __init__(self, writer: WorkbookWriter, ask_choice: AskChoice, translator: Translator,
                 default_language: str, channels: ChannelBook) -> None:
        self.channels = channels
        self.writer = writer
        self.ask_choice = ask_choice
        self.tr = translator
        self.default_language = default_language
        self.questions = {PENDING: self}

    # -- the command ------------------------------------------------------------------------
    async def command(self, turn: Turn, arg: str | None) -> None:
        units = [u for m, u in await turn.memberships() if m.role in OFFICIAL_ROLES]
        if not units:
            await turn.say(Msg("export.officials_only"))
            return
        unit: OrgUnit | None = min(units, key=lambda u: u.depth)
        period = parse_period(arg) if arg else None
        if arg and period is None:
            # "2026-10 DEMO_KCN" or "DEMO_KCN": a unit of the subtree, named by its code.
            head, _, code = arg.strip().rpartition(" ")
            period = parse_period(head) if head else None
            unit = (await turn.uow.units.by_code(code)
                    or await turn.uow.units.by_code(code.upper()))
            if unit is None or (head and period is None):
                await turn.say(Msg("export.bad_period", text=arg))
                return
        assert unit is not None
        if not any(unit.path.startswith(u.path) for u in units):
            await turn.uow.audit.write("export.refused", turn.now, subject=f"unit:{unit.code}",
                                       details={"period": period.key if period else None},
                                       person_id=turn.person.id, identity_id=turn.identity.id)
            await turn.say(Msg("export.not_yours", unit=unit.name))
            return
        if period is None:
            await self.ask_choice(turn, {"kind": PENDING, "unit": unit.id})
            return
        await self.request(turn, unit, period)

    async def choices(self, turn: Turn, pending: dict[str, Any]) -> list[Choice]:
        return [Choice(p.key, {turn.lang: period_label(turn.t, p)}, (p.key,))
                for p in recent_periods(turn.local_now.date())]

    async def answer(self, turn: Turn, pending: dict[str, Any], key: str) -> None:
        unit = await turn.uow.units.get(int(pending["unit"]))
        period = parse_period(key)
        if unit is not None and period is not None:
            await self.request(turn, unit, period)

    async def request(self, turn: Turn, unit: OrgUnit, period: ExportPeriod) -> None:
        to = await self._file_account(turn)
        label = period_label(turn.t, period)
        if to is None:
            await turn.say(Msg("export.no_file_howto", label=label, period=period.key,
                               unit=unit.code))
            return
        await turn.uow.fires.schedule(
            BUILD, f"export:{turn.person.id}:{unit.id}:{period.key}:{turn.now.timestamp()}",
            turn.now, turn.now,
            {"person": turn.person.id, "identity": to.id, "unit": unit.id,
             "period": period.key, "lang": turn.lang})
        if to.id == turn.identity.id:
            await turn.say(Msg("export.preparing", label=label, unit=unit.name))
        else:
            await turn.say(Msg("export.preparing_elsewhere", label=label, unit=unit.name,
                               here=self.channels.capabilities(turn.identity.channel).title,
                               there=self.channels.capabilities(to.channel).title))

    async def _file_account(self, turn: Turn) -> ChannelIdentity | None:
        """Where the file can go: this account, or the person's first that takes files."""
        if self.channels.capabilities(turn.identity.channel).files_out:
            return turn.identity
        others = await turn.uow.identities.others_reachable(
            turn.person.id, self.channels.names(lambda c: c.files_out), [turn.identity.id])
        return others[0] if others else None

    # -- from the web console: the file at once, downloaded --------------------------------
    async def download(self, uow: UnitOfWork, person_id: int, identity_id: int, unit: OrgUnit,
                       period: ExportPeriod, now: datetime) -> tuple[str, bytes]:
        """The same workbook as the chat's, read as the person may read (their roles now),
        audited as a web export. The caller has checked the unit is in their subtree."""
        out = io.BytesIO()
        reader = Reader.of(await uow.memberships.of_person(person_id))
        summary = await self.writer.write(uow, unit, period, out, reader)
        await audit_export(uow, summary, now, via="web", free_text="by_level",
                           person_id=person_id, identity_id=identity_id)
        return file_name(unit, period), out.getvalue()

    # -- the fire that builds and sends it -----------------------------------------------------
    async def on_build(self, uow: UnitOfWork, fire: Fire, now: datetime) -> None:
        p = fire.payload
        unit = await uow.units.get(int(p["unit"]))
        identity = await uow.identities.get(int(p["identity"]))
        period = parse_period(str(p["period"]))
        if unit is None or identity is None or period is None:
            log.warning("export %s: unit, account or period gone", fire.target)
            return
        out = io.BytesIO()
        # Read as the person who asked may read, by their roles now (not the unit exported).
        reader = Reader.of(await uow.memberships.of_person(int(p["person"])))
        summary = await self.writer.write(uow, unit, period, out, reader)
        name = file_name(unit, period)
        file_id = await uow.files.add(name, XLSX, out.getvalue(), now)
        lang = str(p.get("lang") or self.default_language)
        caption = self.tr.render(lang, Msg(
            "export.ready", label=period_label(lambda m: self.tr.render(lang, m), period),
            unit=unit.name, reports=summary.reports, incidents=summary.sheets["incidents"],
            ledger=summary.sheets["ledger"]))
        await uow.outbox.enqueue(
            identity_id=identity.id, channel=identity.channel, address=identity.address,
            payload=OutboundMessage(caption, file=OutboundFile(file_id, "document", name))
            .to_payload(), now=now, kind="reply", dedupe_key=f"export:{fire.id}",
        )
        await audit_export(uow, summary, now, via=identity.channel, free_text="by_level",
                           person_id=int(p["person"]), identity_id=identity.id)
