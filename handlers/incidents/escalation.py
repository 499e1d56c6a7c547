"""Opening incidents from reports, and walking the escalation ladder on durable fires.

Each step of the ladder is one fire row ("incident.step", payload step N), claimed by a
version check in the fire poller, so a step runs once after downtime and once among several
processes. The outbox dedupe key names the incident, the ladder run and the step, so even a
step run twice could not alert anyone twice. Acknowledging or resolving cancels the fire.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.engine.escalation import Ladder
from bot.engine.messages import Msg
from bot.policy import Policy
from handlers.conversation.turn import Turn
from handlers.delivery.admins import AdminNotices
from handlers.incidents.alerts import Level, Notifier, Recipient, levels_above
from storage.models import Fire, Incident, OrgUnit, Report
from storage.repositories.incidents import OPEN_STATES
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

STEP = "incident.step"
UNRESOLVED = "incident.unresolved"


def incident_target(incident_id: int) -> str:
    return f"incident:{incident_id}"


def run_key(incident: Incident) -> str:
    """Tells ladder runs apart: a reopened incident climbs the ladder again."""
    return f"{incident.id}.{int(incident.first_alert_at.timestamp())}"


@dataclass(frozen=True)
class IncidentOpened:
    """An effect of a stored report: the hot-spot rules found a hot spot in it."""

    report: Report
    severity: str
    rules: tuple[str, ...]


class Escalation:
    def __init__(self, policy: Policy, notifier: Notifier, admins: AdminNotices) -> None:
        self.policy = policy
        self.notifier = notifier
        self.admins = admins

    # -- opening ---------------------------------------------------------------------------
    def hot_spots(self, report: Report) -> list[IncidentOpened]:
        """The hot-spot rules on a stored report: an incident to open, or none."""
        hot = self.policy.rules.evaluate(report.form_id, report.answers)
        return [] if hot is None else [IncidentOpened(report, hot.severity, hot.rules)]

    async def open(self, turn: Turn, hot: IncidentOpened) -> None:
        """Open the incident in the report's transaction and start its ladder."""
        report = hot.report
        ladder = self.policy.ladders[hot.severity]
        first = ladder.first_alert(turn.now, self.policy.calendar)
        uow = turn.uow
        incident = await uow.incidents.open(
            report_id=report.id, unit_id=report.unit_id, severity=hot.severity, rules=hot.rules,
            ladder=ladder.to_dict(), first_alert_at=first, now=turn.now,
        )
        await uow.incidents.log(incident.id, "opened", turn.now, person_id=turn.person.id,
                                identity_id=turn.identity.id,
                                details={"rules": list(hot.rules), "severity": hot.severity})
        await uow.audit.write("incident.opened", turn.now, subject=f"incident:{incident.id}",
                              details={"report": report.ref, "severity": hot.severity,
                                       "rules": list(hot.rules)},
                              person_id=turn.person.id, identity_id=turn.identity.id)
        alerted = await self.start(uow, incident, turn.now)
        severity = self.notifier.severity(turn.lang, hot.severity)
        # Step 0 ran now and alerted nobody, or it waits for working hours and, as things
        # stand, would alert nobody either.
        nobody = not alerted and (first <= turn.now or not await levels_above(
            uow, await self._unit(uow, incident)))
        if nobody:
            # Nobody above uses the bot yet: the chair must not think someone was told.
            await turn.say(Msg("incident.opened_nobody", number=incident.id, severity=severity))
        elif first <= turn.now:
            await turn.say(Msg("incident.opened_now", number=incident.id, severity=severity))
        else:
            await turn.say(Msg("incident.opened_later", number=incident.id, severity=severity,
                               time=self.notifier.local(first)))

    async def start(self, uow: UnitOfWork, incident: Incident, now: datetime) -> bool:
        """Step 0 now if its time has come, else a fire for when it has. True when someone
        was alerted now."""
        if incident.first_alert_at <= now:
            return await self.run_step(uow, incident, 0, now)
        await uow.fires.schedule(STEP, incident_target(incident.id),
                                 incident.first_alert_at, now, {"step": 0})
        return False

    @staticmethod
    async def _unit(uow: UnitOfWork, incident: Incident) -> OrgUnit:
        unit = await uow.units.get(incident.unit_id)
        assert unit is not None
        return unit

    # -- the ladder --------------------------------------------------------------------------
    async def on_step(self, uow: UnitOfWork, fire: Fire, now: datetime) -> None:
        incident = await uow.incidents.get(int(fire.target.split(":", 1)[1]))
        if incident is None or incident.state not in OPEN_STATES:
            return  # acknowledged or resolved since: the ladder has stopped
        await self.run_step(uow, incident, int(fire.payload.get("step", 0)), now)

    async def run_step(self, uow: UnitOfWork, incident: Incident, step: int,
                       now: datetime) -> bool:
        found = await uow.incidents.with_report(incident.id)
        assert found is not None
        incident, report, unit = found
        ladder = Ladder.from_dict(incident.ladder)
        levels = await levels_above(uow, unit)
        if not levels:
            await self.admins.send(uow, Msg("incident.no_officials", number=incident.id,
                                            unit=unit.name), now,
                                   once=f"incident-nobody:{run_key(incident)}")
            log.warning("incident %s: no official above unit %s", incident.id, unit.code)
            return False
        alerted: list[Recipient] = []
        reached = incident.level
        alerts = ladder.alerts(step, len(levels))
        readers = await self.notifier.readers(
            uow, [r for i, _ in alerts for r in levels[i].officials])
        for level_index, repeat in alerts:
            level = levels[level_index]
            lines = self._why(incident, ladder, levels, level_index, repeat)
            for official in level.officials:
                message = self.notifier.alert(self.notifier.lang(official.person), incident,
                                              report, unit, lines,
                                              reader=readers[official.person.id])
                await self.notifier.send(uow, official, message, now, kind="alert",
                                         once=f"alert:{run_key(incident)}:{step}")
                alerted.append(official)
            reached = max(reached, level_index)
        await uow.incidents.log(incident.id, "alerted", now, details={
            "step": step,
            "units": [levels[i].unit.code for i, _ in alerts],
            "to": [[r.person.id, r.identity.id] for r in alerted],
        })
        await uow.incidents.stepped(incident.id, step, reached, now)
        if ladder.has_more(step, len(levels)):
            due = ladder.due(step + 1, incident.first_alert_at, self.policy.calendar)
            await uow.fires.schedule(STEP, incident_target(incident.id), due, now,
                                     {"step": step + 1})
        return bool(alerted)

    def _why(self, incident: Incident, ladder: Ladder, levels: list[Level], level: int,
             repeat: int) -> list[Msg]:
        waited = round(ladder.ack_minutes * max(repeat, 1))
        working = "_working" if ladder.hours == "working" else ""
        if level > 0 and repeat == 0:
            below = levels[level - 1].unit.name
            return [Msg(f"incident.escalated{working}", below=below, minutes=waited)]
        if repeat > 0:
            return [Msg(f"incident.repeat{working}", count=repeat + 1, minutes=waited)]
        if incident.state == "reopened":
            return [Msg("incident.reopened_line")]
        return []

    # -- acknowledged but not resolved ------------------------------------------------------
    async def remind_later(self, uow: UnitOfWork, incident: Incident, reminder: int,
                           now: datetime) -> None:
        ladder = Ladder.from_dict(incident.ladder)
        if reminder > ladder.unresolved_reminders or incident.acknowledged_at is None:
            return
        due = ladder.unresolved_due(incident.acknowledged_at, reminder, self.policy.calendar)
        await uow.fires.schedule(UNRESOLVED, incident_target(incident.id), due, now,
                                 {"reminder": reminder})

    async def on_unresolved(self, uow: UnitOfWork, fire: Fire, now: datetime) -> None:
        found = await uow.incidents.with_report(int(fire.target.split(":", 1)[1]))
        if found is None or found[0].state != "acknowledged":
            return
        incident, report, unit = found
        reminder = int(fire.payload.get("reminder", 1))
        levels = await levels_above(uow, unit)
        by = await self._acknowledger(uow, incident)
        above = self._level_above(levels, by)
        hours = round(Ladder.from_dict(incident.ladder).unresolved_hours * reminder)
        name = by.person.display_name or by.identity.display_name if by else ""
        recipients = ([by] if by else []) + [
            r for r in (above.officials if above else ()) if not by or r.person.id != by.person.id
        ]
        readers = await self.notifier.readers(uow, recipients)
        for to in recipients:
            lang = self.notifier.lang(to.person)
            line = Msg("incident.unresolved", hours=hours, name=name,
                       time=self.notifier.local(incident.acknowledged_at or now))
            message = self.notifier.alert(lang, incident, report, unit, [line],
                                          reader=readers[to.person.id])
            await self.notifier.send(uow, to, message, now, kind="alert",
                                     once=f"unresolved:{run_key(incident)}:{reminder}")
        await uow.incidents.log(incident.id, "reminded", now, details={
            "reminder": reminder, "people": sorted(r.person.id for r in recipients)})
        await self.remind_later(uow, incident, reminder + 1, now)

    async def _acknowledger(self, uow: UnitOfWork, incident: Incident) -> Recipient | None:
        if incident.acknowledged_by is None:
            return None
        return await self._recipient(uow, incident.acknowledged_by)

    @staticmethod
    async def _recipient(uow: UnitOfWork, person_id: int) -> Recipient | None:
        """A person on their first account the messenger still delivers to."""
        person = await uow.people.get(person_id)
        account = await uow.identities.first_reachable(person_id)
        return Recipient(person, account) if person is not None and account else None

    @staticmethod
    def _level_above(levels: list[Level], by: Recipient | None) -> Level | None:
        """The level above the acknowledging official's own (the parent's when unknown)."""
        for i, level in enumerate(levels):
            if by is not None and any(r.person.id == by.person.id for r in level.officials):
                return levels[i + 1] if i + 1 < len(levels) else None
        return levels[0] if levels else None

    async def stop(self, uow: UnitOfWork, incident_id: int) -> None:
        await uow.fires.cancel_target(incident_target(incident_id))

    async def officials_alerted(self, uow: UnitOfWork, incident_id: int) -> list[Recipient]:
        """Everyone an alert about this incident went to, once each."""
        people: dict[int, None] = {}  # in the order they were first alerted
        for event in await uow.incidents.events(incident_id):
            if event.kind == "alerted":
                for person_id, _identity_id in event.details.get("to", []):
                    people.setdefault(person_id, None)
        found = [await self._recipient(uow, person_id) for person_id in people]
        return [r for r in found if r is not None]

    async def next_step(self, uow: UnitOfWork, incident: Incident, unit: OrgUnit,
                        local: Callable[[datetime], str]) -> NextStep | None:
        """What the ladder does next for this incident, as its pending fire says: when, and
        which levels it alerts (or, once acknowledged, whom it reminds); None when nothing
        is pending (resolved, or the ladder has run out)."""
        fires = await uow.fires.pending_for((STEP, UNRESOLVED), incident_target(incident.id))
        if not fires:
            return None
        fire = fires[0]
        levels = await levels_above(uow, unit)
        if fire.kind == UNRESOLVED:
            by = await self._acknowledger(uow, incident)
            above = self._level_above(levels, by)
            return NextStep(fire.due_at, local(fire.due_at), "remind",
                            (above.unit.name,) if above is not None else ())
        alerts = Ladder.from_dict(incident.ladder).alerts(int(fire.payload.get("step", 0)),
                                                          len(levels))
        names = dict.fromkeys(levels[i].unit.name for i, _ in alerts)
        return NextStep(fire.due_at, local(fire.due_at), "alert", tuple(names))


@dataclass(frozen=True)
class NextStep:
    at: datetime
    local: str  # the time as people read it
    kind: str  # alert (the ladder's next step) | remind (acknowledged, not yet resolved)
    units: tuple[str, ...]  # the levels it reaches
