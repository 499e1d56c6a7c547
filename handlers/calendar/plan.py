"""The reporting calendar at work: opening periods, reminding units that owe, listing the late.

Two kinds of fire drive it. "calendar.plan" runs once a day (and at start-up, and after an org
import): it marks overdue rows missing, opens the current periods for every grassroots unit
(units added mid-period get their row here) and makes one "calendar.step" fire per reminder
step of each period and calendar scope. Fires are claimed by a version check, so each step
runs once across restarts and processes; its reminders are one INSERT ... SELECT per language
whose outbox dedupe key names unit, period, step and account, so even a step run twice could
not remind anyone twice. Nothing here loops over units: 150,000 units cost the same handful of
statements as 10.

A scope is the policy's default rule or a per-subtree override; the default excludes the
override subtrees, and an override excludes the overrides nested below it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.engine import calendar as cal
from bot.engine.calendar import PeriodRule
from bot.engine.messages import Msg
from bot.i18n import Translator
from bot.policy import Policy
from handlers.calendar.periods import PeriodTexts, day
from handlers.conversation.reply_codes import ReplyCodeGrammar
from storage.models import Fire
from storage.repositories.obligations import ReminderText, Scope
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

PLAN = "calendar.plan"
STEP = "calendar.step"
PLAN_TARGET = "calendar"
DEFAULT_SCOPE = "*"
# Reply actions on a reminder: open the form, or file "nothing new" in one tap.
FILE, NIL = "periodic_file", "periodic_nil"
NOTICE_NAMES = 15  # unit names in an overdue notice; /quahan has them all
_CUT = "\x00"  # where the unit's name goes in a reminder cut for SQL


@dataclass(frozen=True)
class RuleScope:
    rule: PeriodRule
    scope: Scope


async def arm(uow: UnitOfWork, now: datetime) -> None:
    """Plan now (start-up, an org import): the next poll opens periods and steps."""
    await uow.fires.schedule(PLAN, PLAN_TARGET, now, now, {})


class CalendarPlanner:
    def __init__(self, policy: Policy, texts: PeriodTexts, translator: Translator,
                 codes: ReplyCodeGrammar, languages: Sequence[str],
                 default_language: str, *, links: bool = False) -> None:
        self.policy = policy
        # Reminders carry a sign-in link to the period's form (the web pages are served).
        self.links = links
        self.texts = texts
        self.tr = translator
        self.codes = codes
        self.languages = tuple(languages)
        self.default_language = default_language

    def _today(self, now: datetime) -> date:
        return now.astimezone(self.policy.calendar.tz).date()

    # -- planning ---------------------------------------------------------------------------
    async def on_plan(self, uow: UnitOfWork, fire: Fire, now: datetime) -> None:
        await self.plan(uow, now)
        tomorrow = self._today(now) + timedelta(days=1)
        # Just after local midnight: a new period opens on its first day, before 08:00.
        due = datetime.combine(tomorrow, time(0, 1), self.policy.calendar.tz)
        await uow.fires.schedule(PLAN, PLAN_TARGET, due, now, {})

    async def plan(self, uow: UnitOfWork, now: datetime) -> int:
        """Open what should be open and make its reminder steps; returns rows added."""
        today = self._today(now)
        await uow.obligations.sweep_missing(today, now)
        added = 0
        steps: list[tuple[str, str, datetime, dict[str, object]]] = []
        working = self.policy.calendar
        for kind, scoped in (await self.scopes(uow)).items():
            for rs in scoped:
                current = cal.period_of(rs.rule, today)
                previous = cal.period_of(rs.rule, current.starts - timedelta(days=1))
                for period in (previous, current):
                    # A period whose deadline passed before it was ever planned (the bot
                    # was installed after it) is not opened: nobody was asked for it.
                    if cal.deadline(rs.rule, period, working) <= now:
                        continue
                    due = cal.due_date(rs.rule, period, working)
                    added += await uow.obligations.open_period(
                        kind, period.key, rs.rule.form_id, due, now,
                        under=rs.scope.under, excluding=rs.scope.excluding)
                    for step in cal.steps(rs.rule, period, working):
                        if step.at.date() < today:
                            continue  # a day already gone: too late to remind
                        steps.append((STEP, f"calendar:{kind}:{period.key}:{rs.scope.name}:"
                                      f"{step.name}", step.at,
                                      {"kind": kind, "period": period.key,
                                       "scope": rs.scope.name, "step": step.name}))
        # Made once, never moved: a step that ran stays done across every later plan.
        await uow.fires.ensure_many(steps, now)
        return added

    async def scopes(self, uow: UnitOfWork) -> dict[str, list[RuleScope]]:
        """Per period kind: the default rule and every override, with the units each covers."""
        codes = sorted({c for c in self.policy.period_overrides})
        paths: dict[str, str] = {}
        for code in codes:
            unit = await uow.units.by_code(code)
            if unit is None:
                log.warning("calendar override for unknown unit %s ignored", code)
            else:
                paths[code] = unit.path
        out: dict[str, list[RuleScope]] = {}
        for kind, rule in self.policy.periods.items():
            own = {code: paths[code] for code, kinds in self.policy.period_overrides.items()
                   if kind in kinds and code in paths}
            scoped = [RuleScope(rule, Scope(DEFAULT_SCOPE, None, tuple(own.values())))]
            for code, path in own.items():
                nested = tuple(p for c, p in own.items() if c != code and p.startswith(path))
                scoped.append(RuleScope(self.policy.period_overrides[code][kind],
                                        Scope(code, path, nested)))
            out[kind] = scoped
        return out

    # -- a reminder step ----------------------------------------------------------------------
    async def on_step(self, uow: UnitOfWork, fire: Fire, now: datetime) -> None:
        kind, period_key = fire.payload["kind"], fire.payload["period"]
        step, scope_name = fire.payload["step"], fire.payload["scope"]
        found = next((rs for rs in (await self.scopes(uow)).get(kind, [])
                      if rs.scope.name == scope_name), None)
        if found is None:
            log.warning("calendar step %s: no calendar %s/%s any more", fire.target, kind,
                        scope_name)
            return
        rule, scope = found.rule, found.scope
        period = cal.parse_period_key(rule, period_key)
        await uow.obligations.sweep_missing(self._today(now), now)
        due = cal.due_date(rule, period, self.policy.calendar)
        sent = 0
        for lang in self.languages:
            text = self.reminder(lang, rule, period_key, step, due)
            sent += await uow.obligations.remind(kind, period_key, step, scope, text,
                                                 self.default_language, now)
        listed = cal.is_overdue_listed(rule, step)
        owing = await uow.obligations.stepped(kind, period_key, step, scope, now, listed=listed)
        log.info("calendar %s %s %s (%s): %d units owe, %d reminders", kind, period_key, step,
                 scope_name, owing, sent)
        if listed and owing:
            await self.notify_officials(uow, kind, period_key, scope, rule, due, now)

    def reminder(self, lang: str, rule: PeriodRule, period: str, step: str,
                 due: object) -> ReminderText:
        def t(m: Msg) -> str:
            return self.tr.render(lang, m)

        label = self.texts.label(t, lang, rule.kind, period, rule.form_id)
        args = {"label": label, "due": day(due), "unit": _CUT}  # type: ignore[arg-type]
        if step.startswith("before_"):
            msg = Msg("calendar.remind_before", days=int(step.split("_")[1]), **args)
        elif step == "due":
            msg = Msg("calendar.remind_due", **args)
        else:
            k = int(step.split("_")[1])
            msg = Msg("calendar.remind_overdue", days=k * rule.overdue_every, **args)
        buttons = tuple((self.codes.verbs[a].code, t(Msg(f"code.{a}"))) for a in (FILE, NIL))
        hint = t(Msg("calendar.remind_hint", file=self.codes.verbs[FILE].code,
                     nil=self.codes.verbs[NIL].code, ref=_CUT))
        link = t(Msg("web.fill_on_phone")) if self.links else None
        return ReminderText(lang, tuple(t(msg).split(_CUT)), buttons, tuple(hint.split(_CUT)),
                            link)

    # -- the overdue list ---------------------------------------------------------------------
    async def notify_officials(self, uow: UnitOfWork, kind: str, period: str, scope: Scope,
                               rule: PeriodRule, due: object, now: datetime) -> None:
        """One message per official for all of their subtree's newly listed units."""
        listed = await uow.obligations.listed_in(kind, period, scope)
        by_unit: dict[int, list[str]] = {}
        for _unit_id, name, path in listed:
            for ancestor in _ancestors(path):
                by_unit.setdefault(ancestor, []).append(name)
        for unit, person, identity in await uow.memberships.officials_with_units():
            names = by_unit.get(unit.id)
            if not names:
                continue
            lang = person.language or self.default_language

            def t(m: Msg, lang: str = lang) -> str:
                return self.tr.render(lang, m)

            shown = "\n".join(f"• {n}" for n in names[:NOTICE_NAMES])
            more = (t(Msg("calendar.overdue_more", count=len(names) - NOTICE_NAMES))
                    if len(names) > NOTICE_NAMES else "")
            text = t(Msg("calendar.overdue_notice", count=len(names), unit=unit.name,
                         label=self.texts.label(t, lang, kind, period, rule.form_id),
                         due=day(due), names=shown, more=more))  # type: ignore[arg-type]
            await uow.outbox.enqueue(
                identity_id=identity.id, channel=identity.channel, address=identity.address,
                payload={"text": text}, now=now, kind="notice",
                dedupe_key=f"overdue:{kind}:{period}:{scope.name}:{person.id}:{unit.id}",
            )


def _ancestors(path: str) -> list[int]:
    """The units above one whose materialised path is "/1/4/9/" (itself excluded)."""
    ids = [int(p) for p in path.strip("/").split("/") if p]
    return ids[:-1]
