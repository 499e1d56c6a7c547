"""What officials do with incidents: acknowledge, add a note, resolve, reopen, list them.

Every action is a reply code (a button on Telegram, typed on Zalo) on an incident number.
An official acts only on incidents of units in their own subtree; anything else gets a short
answer and changes nothing. State changes are conditional updates, so of two officials
acknowledging at once one wins and the other is told who did.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bot.channels.base import InboundEvent
from bot.engine.escalation import Ladder
from bot.engine.messages import Msg
from handlers.conversation.reply_codes import ReplyCode
from handlers.conversation.turn import OFFICIAL_ROLES, Turn
from handlers.incidents.alerts import Notifier, Recipient
from handlers.incidents.escalation import Escalation, run_key
from handlers.people.privacy import Reader
from storage.models import Incident, OrgUnit, Report
from storage.repositories.incidents import OPEN_STATES

NOTE_PENDING = "incident_note"
LIST_LIMIT = 20

# Ask for a text answer and remember what it is for (HostQuestions.ask_text).
AskText = Callable[[Turn, Msg, dict[str, Any]], Awaitable[None]]


def age_words(age: timedelta) -> Msg:
    """How long a hot spot has been open: "2 ngày 3 giờ", "4 giờ 10 phút", "7 phút"."""
    minutes = max(int(age.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return Msg("age.days_hours", days=days, hours=hours)
    if hours:
        return Msg("age.hours_minutes", hours=hours, minutes=mins)
    return Msg("age.minutes", minutes=mins)


class IncidentDesk:
    def __init__(self, escalation: Escalation, notifier: Notifier, ask_text: AskText) -> None:
        self.escalation = escalation
        self.notifier = notifier
        self.ask_text = ask_text

    @property
    def actions(self) -> dict[str, Callable[[Turn, ReplyCode], Awaitable[None]]]:
        return {"acknowledge": self.acknowledge, "note": self.note, "resolve": self.resolve,
                "reopen": self.reopen}

    @property
    def chair_actions(self) -> dict[str, Callable[[Turn, ReplyCode], Awaitable[None]]]:
        return {"hotspot_update": self.update}

    async def update(self, turn: Turn, code: ReplyCode) -> None:
        """A chair adds to their unit's open hot spot ("BS 12: ..."): logged, and sent to
        the officials alerted about it (the words as privacy by level allows each)."""
        found = await turn.uow.incidents.with_report(code.ref)
        chairs = {u.id for m, u in await turn.memberships() if m.role == "chair"}
        if found is None or found[2].id not in chairs:
            await self._refuse(turn, Msg("incident.update_not_yours", number=code.ref))
            return
        incident, report, unit = found
        if not code.note:
            await turn.say(Msg("incident.update_usage", number=incident.id))
            return
        if incident.state == "resolved":
            await turn.say(Msg("incident.update_closed", number=incident.id))
            return
        await self._record(turn, incident, "updated", code.note)
        officials = await self.escalation.officials_alerted(turn.uow, incident.id)
        readers = await self.notifier.readers(turn.uow, officials)
        count = len(await turn.uow.incidents.events(incident.id))
        for to in officials:
            lang = self.notifier.lang(to.person)
            note = self.notifier.note(lang, code.note, unit, readers[to.person.id])
            await self.notifier.send(
                turn.uow, to, Msg("incident.update_by", number=incident.id, unit=unit.name,
                                  ref=report.ref, note=note), turn.now, kind="notice",
                once=f"update-{incident.id}-{count}")
        await turn.say(Msg("incident.update_sent", number=incident.id, count=len(officials)))

    # -- acting on one incident ------------------------------------------------------------
    async def acknowledge(self, turn: Turn, code: ReplyCode) -> None:
        found = await self._mine(turn, code.ref)
        if found is None:
            return
        incident, report, scope = found
        if incident.state not in OPEN_STATES or not await turn.uow.incidents.acknowledge(
                incident.id, turn.person.id, turn.now):
            await self._already(turn, code.ref)
            return
        incident, report, unit = await self._reload(turn, incident.id)
        await self._record(turn, incident, "acknowledged", None)
        await self.escalation.stop(turn.uow, incident.id)
        await self.escalation.remind_later(turn.uow, incident, 1, turn.now)
        await self._tell(turn, incident, report, unit, scope, "acknowledged")
        await turn.reply(self.notifier.with_actions(
            turn.lang, turn.t(Msg("incident.acknowledged_you", number=incident.id)), incident))

    async def note(self, turn: Turn, code: ReplyCode) -> None:
        found = await self._mine(turn, code.ref)
        if found is None:
            return
        incident = found[0]
        if not code.note:
            await self._ask_note(turn, "note", incident.id)
            return
        await self._record(turn, incident, "noted", code.note)
        await turn.say(Msg("incident.noted", number=incident.id))

    async def resolve(self, turn: Turn, code: ReplyCode) -> None:
        found = await self._mine(turn, code.ref)
        if found is None:
            return
        incident, report, scope = found
        if incident.state == "resolved":
            await self._already(turn, code.ref)
            return
        if not code.note:
            await self._ask_note(turn, "resolve", incident.id)
            return
        unacknowledged = incident.state in OPEN_STATES
        if not await turn.uow.incidents.resolve(incident.id, turn.person.id, code.note,
                                                turn.now, acknowledge=unacknowledged):
            await self._already(turn, code.ref)
            return
        incident, report, unit = await self._reload(turn, incident.id)
        await self._record(turn, incident, "resolved", code.note)
        await self.escalation.stop(turn.uow, incident.id)
        await self._tell(turn, incident, report, unit, scope, "resolved", code.note)
        await turn.say(Msg("incident.resolved_you", number=incident.id))

    async def reopen(self, turn: Turn, code: ReplyCode) -> None:
        found = await self._mine(turn, code.ref)
        if found is None:
            return
        incident, report, scope = found
        # The ladder climbs again from the parent, timed by the incident's own ladder.
        policy = self.escalation.policy
        first = Ladder.from_dict(incident.ladder).first_alert(turn.now, policy.calendar)
        if incident.state != "resolved" or not await turn.uow.incidents.reopen(
                incident.id, turn.now, first):
            await self._refuse(turn, Msg("incident.not_resolved", number=incident.id))
            return
        incident, report, unit = await self._reload(turn, incident.id)
        await self._record(turn, incident, "reopened", code.note)
        await self._tell(turn, incident, report, unit, scope, "reopened", code.note)
        await turn.say(Msg("incident.reopened_you", number=incident.id))
        await self.escalation.start(turn.uow, incident, turn.now)

    async def note_text(self, turn: Turn, pending: dict[str, Any], event: InboundEvent) -> None:
        """The answer to "what is the note?" after a button without one."""
        text = (event.text or "").strip()
        action, number = pending["action"], int(pending["incident"])
        if not text:
            await self._ask_note(turn, action, number, error=True)
            return
        await self.actions[action](turn, ReplyCode(action, number, text[:2000]))

    # -- /diemnong ---------------------------------------------------------------------------
    async def command(self, turn: Turn, arg: str | None) -> None:
        """/diemnong: the open hot spots; "/diemnong 12": one of them whole."""
        if arg is not None and arg.strip().isdigit():
            await self.show(turn, int(arg))
        else:
            await self.hotspots(turn)

    async def show(self, turn: Turn, number: int) -> None:
        """A hot spot's card again: what happened, the report (its words as privacy by level
        allows), its log, and the actions its state allows."""
        found = await self._mine(turn, number)
        if found is None:
            return
        incident, report, _ = found
        _, _, unit = await self._reload(turn, number)
        reader = Reader.of(await turn.memberships())
        lang = turn.lang
        lines = [turn.t(Msg("incident.alert", severity=self.notifier.severity(
                     lang, incident.severity), number=incident.id, unit=unit.name,
                     ref=report.ref, time=self.notifier.local(report.submitted_at))),
                 turn.t(Msg("incident.state_line", state=await self._state(turn, incident))),
                 self.notifier.card(lang, report, unit, reader),
                 turn.t(Msg("incident.log_heading"))]
        for event in await turn.uow.incidents.events(incident.id):
            person = await turn.uow.people.get(event.actor_person_id) \
                if event.actor_person_id else None
            note = self.notifier.note(lang, event.note, unit, reader) if event.note else ""
            lines.append(turn.t(Msg(
                "incident.log_line", time=self.notifier.local(event.at),
                what=turn.t(Msg(f"incident.log.{event.kind}")),
                name=f" – {person.display_name}" if person and person.display_name else "",
                note=f": {note}" if note else "")))
        await turn.reply(self.notifier.with_actions(lang, "\n".join(lines), incident))

    async def hotspots(self, turn: Turn) -> None:
        scopes = await self._scopes(turn)
        if not scopes:
            await turn.say(Msg("incident.officials_only"))
            return
        rows, total = await turn.uow.incidents.active_in_subtrees(
            [u.path for u in scopes], LIST_LIMIT)
        if not rows:
            await turn.say(Msg("incident.list_empty"))
            return
        lines = [turn.t(Msg("incident.list_heading", count=total))]
        for incident, unit in rows:
            lines.append(turn.t(Msg(
                "incident.list_item", number=incident.id,
                severity=self.notifier.severity(turn.lang, incident.severity), unit=unit.name,
                age=self._age(turn, turn.now - incident.opened_at),
                state=await self._state(turn, incident))))
        if total > len(rows):
            lines.append(turn.t(Msg("incident.list_more", count=total - len(rows))))
        lines.append(turn.t(Msg("incident.list_hint")))
        await turn.say(Msg("incident.list", lines="\n".join(lines)))

    async def _state(self, turn: Turn, incident: Incident) -> str:
        if incident.state == "acknowledged" and incident.acknowledged_by is not None:
            person = await turn.uow.people.get(incident.acknowledged_by)
            return turn.t(Msg("incident.state_acknowledged_by",
                              name=person.display_name if person else ""))
        return turn.t(Msg(f"incident.state.{incident.state}"))

    @staticmethod
    def _age(turn: Turn, age: timedelta) -> str:
        return turn.t(age_words(age))

    # -- shared ------------------------------------------------------------------------------
    async def _scopes(self, turn: Turn) -> list[OrgUnit]:
        return [u for m, u in await turn.memberships() if m.role in OFFICIAL_ROLES]

    async def _mine(self, turn: Turn, number: int) -> tuple[Incident, Report, OrgUnit] | None:
        """The incident with the official's unit that covers it, or None (already told)."""
        scopes = await self._scopes(turn)
        if not scopes:
            await self._refuse(turn, Msg("incident.officials_only"))
            return None
        found = await turn.uow.incidents.with_report(number)
        if found is None:
            await self._refuse(turn, Msg("incident.not_found", number=number))
            return None
        incident, report, unit = found
        covering = [s for s in scopes if unit.path.startswith(s.path)]
        if not covering:
            await self._refuse(turn, Msg("incident.not_yours", number=number))
            return None
        # The nearest of the official's units above the incident's: the one they act for.
        scope = max(covering, key=lambda s: len(s.path))
        return incident, report, scope

    async def _reload(self, turn: Turn, incident_id: int) -> tuple[Incident, Report, OrgUnit]:
        found = await turn.uow.incidents.with_report(incident_id)
        assert found is not None
        return found

    async def _already(self, turn: Turn, number: int) -> None:
        """Someone else got there first: say who and when."""
        found = await turn.uow.incidents.with_report(number)
        if found is None:
            return
        incident, _, unit = found
        if incident.state == "resolved":
            person = await turn.uow.people.get(incident.resolved_by or 0)
            reader = Reader.of(await turn.memberships())
            await self._refuse(turn, Msg(
                "incident.already_resolved", number=number,
                name=person.display_name if person else "",
                time=self.notifier.local(incident.resolved_at or turn.now),
                note=self.notifier.note(turn.lang, incident.resolution, unit, reader)))
        else:
            person = await turn.uow.people.get(incident.acknowledged_by or 0)
            await self._refuse(turn, Msg(
                "incident.already_acknowledged", number=number,
                name=person.display_name if person else "",
                time=self.notifier.local(incident.acknowledged_at or turn.now)))

    @staticmethod
    async def _refuse(turn: Turn, msg: Msg) -> None:
        """Said in the chat, and as the button's toast: a refused press leaves the alert's
        buttons in place (an accepted one is marked done)."""
        await turn.say(msg)
        turn.notice = msg

    async def _ask_note(self, turn: Turn, action: str, number: int, error: bool = False) -> None:
        key = "incident.ask_resolution" if action == "resolve" else "incident.ask_note"
        prompt = Msg(key, number=number)
        if error:
            prompt = Msg("incident.note_needed", prompt=turn.t(prompt))
        await self.ask_text(turn, prompt,
                            {"kind": NOTE_PENDING, "action": action, "incident": number})

    async def _record(self, turn: Turn, incident: Incident, kind: str, note: str | None) -> None:
        await turn.uow.incidents.log(incident.id, kind, turn.now, person_id=turn.person.id,
                                     identity_id=turn.identity.id, note=note)
        details = {"note": note} if note else {}
        await turn.uow.audit.write(f"incident.{kind}", turn.now,
                                   subject=f"incident:{incident.id}", details=details,
                                   person_id=turn.person.id, identity_id=turn.identity.id)

    async def _tell(self, turn: Turn, incident: Incident, report: Report, unit: OrgUnit,
                    scope: OrgUnit, what: str, note: str | None = None) -> None:
        """The reporter, and every other official alerted, hear what was done and by whom;
        the note only where privacy by level lets them read it (``unit`` reported)."""
        uow = turn.uow
        name = turn.person.display_name or turn.identity.display_name
        params = {"number": incident.id, "ref": report.ref, "name": name, "unit": scope.name,
                  "time": self.notifier.local(turn.now)}
        once = f"{what}:{run_key(incident)}:{incident.version}"
        reporter = await self.notifier.reporter(uow, report)
        others: list[Recipient] = [
            r for r in await self.escalation.officials_alerted(uow, incident.id)
            if r.person.id != turn.person.id
            and (reporter is None or r.person.id != reporter.person.id)]
        told = ([reporter] if reporter is not None and reporter.person.id != turn.person.id
                else [])
        readers = await self.notifier.readers(uow, [*told, *others])
        for to, key, prefix in [*((r, f"incident.reporter_{what}", "reporter") for r in told),
                                 *((r, f"incident.{what}_by", "others") for r in others)]:
            lang = self.notifier.lang(to.person)
            text = self.notifier.note(lang, note, unit, readers[to.person.id])
            reason = "\n" + self.notifier.tr.text(lang, "incident.reason", note=text) if text \
                else ""
            await self.notifier.send(uow, to, Msg(key, **params, note=text, reason=reason),
                                     turn.now, kind="notice", once=f"{prefix}-{once}")
