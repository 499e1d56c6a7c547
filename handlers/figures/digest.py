"""The weekly digest (bản tin tuần): every official, for their own subtree, once a week.

One "digest.week" fire per week (target ``digest:<day>``, made once with INSERT ... ON
CONFLICT DO NOTHING, so a restart never re-arms a week that ran) fans out into one
"digest.send" fire per official and unit. Each of those runs in its own short transaction:
gather the figures, draw the chart, queue one outbox row whose dedupe key names the week,
the person and the unit. Fire claims and the key together make the digest go exactly once per
official per week, across restarts and processes.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.channels.base import ChannelBook, OutboundFile, OutboundMessage
from bot.engine.messages import Msg
from bot.i18n import Translator
from bot.policy import DigestRule
from handlers.conversation.turn import OFFICIAL_ROLES
from handlers.figures.chart import weekly_chart
from handlers.figures.gather import Figures, gather
from handlers.figures.text import FiguresText
from storage.models import ChannelIdentity, Fire, OrgUnit, Person
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

WEEK = "digest.week"
SEND = "digest.send"
# Channels that can show a photo; the others get the text alone.
# A stored chart no message has sent after this long is dropped.
KEEP_FILES = timedelta(days=30)


def next_run(rule: DigestRule, tz: ZoneInfo, now: datetime) -> datetime:
    """The first digest time at or after ``now``."""
    local = now.astimezone(tz)
    day = local.date() + timedelta(days=(rule.weekday - local.weekday()) % 7)
    when = datetime.combine(day, rule.at, tz)
    return when if when >= now else when + timedelta(days=7)


def week_bounds(day: date, tz: ZoneInfo, weeks: int) -> tuple[datetime, ...]:
    """Window boundaries for the digest sent on ``day``: ``weeks`` windows of seven days, the
    last ending at that day's local midnight (on a Monday: last week, Monday to Sunday)."""
    return tuple(datetime.combine(day - timedelta(days=7 * k), time(0), tz)
                 for k in range(weeks, -1, -1))


async def arm(uow: UnitOfWork, rule: DigestRule, tz: ZoneInfo, now: datetime) -> None:
    """Make the next week's fire if it does not exist (start-up, after each week's run)."""
    when = next_run(rule, tz, now)
    day = when.astimezone(tz).date().isoformat()
    await uow.fires.ensure_many([(WEEK, f"digest:{day}", when, {"day": day})], now)


class WeeklyDigest:
    def __init__(self, rule: DigestRule, words: FiguresText, translator: Translator,
                 tz: ZoneInfo, default_language: str, channels: ChannelBook) -> None:
        self.channels = channels
        self.rule = rule
        self.words = words
        self.tr = translator
        self.tz = tz
        self.default_language = default_language

    async def on_week(self, uow: UnitOfWork, fire: Fire, now: datetime) -> None:
        # After more than a week down, the digest covers the latest week, not a stale one.
        latest = next_run(self.rule, self.tz, now + timedelta(seconds=1)) - timedelta(days=7)
        day = max(fire.payload["day"], latest.astimezone(self.tz).date().isoformat())
        officials = await uow.memberships.officials_with_units()
        await uow.fires.ensure_many(
            [(SEND, f"digest:{day}:{person.id}:{unit.id}", now,
              {"day": day, "person": person.id, "unit": unit.id})
             for unit, person, _identity in officials], now)
        log.info("weekly digest %s: %d officials", day, len(officials))
        await arm(uow, self.rule, self.tz, now + timedelta(minutes=1))
        await uow.files.drop_before(now - KEEP_FILES)

    async def on_send(self, uow: UnitOfWork, fire: Fire, now: datetime) -> None:
        day = date.fromisoformat(fire.payload["day"])
        person_id, unit_id = int(fire.payload["person"]), int(fire.payload["unit"])
        found = await self._recipient(uow, person_id, unit_id)
        if found is None:
            log.info("digest %s: person %s is no longer an official of unit %s reachable "
                     "by the bot", day, person_id, unit_id)
            return
        person, unit, identity = found
        lang = person.language or self.default_language
        figures = await gather(uow, unit, week_bounds(day, self.tz, self.rule.chart_weeks),
                               now, now.astimezone(self.tz).date(),
                               self.rule.open_incident_hours, self.words.directive_rule, lang)
        text = self.text(lang, figures)
        file = None
        if not figures.quiet and self.channels.capabilities(identity.channel).photos_out:
            png = await asyncio.to_thread(self.chart, lang, figures)
            name = f"ban-tin-{day.isoformat()}.png"
            file = OutboundFile(await uow.files.add(name, "image/png", png, now), "photo", name)
        await uow.outbox.enqueue(
            identity_id=identity.id, channel=identity.channel, address=identity.address,
            payload=OutboundMessage(text, file=file).to_payload(), now=now, kind="digest",
            dedupe_key=f"digest:{day.isoformat()}:{person.id}:{unit.id}",
        )

    def text(self, lang: str, figures: Figures) -> str:
        def t(m: Msg) -> str:
            return self.tr.render(lang, m)

        start = figures.bounds[-2].astimezone(self.tz).date()
        end = figures.bounds[-1].astimezone(self.tz).date() - timedelta(days=1)
        title = t(Msg("digest.title", start=f"{start:%d/%m}", end=f"{end:%d/%m/%Y}",
                      unit=figures.unit.name))
        body = self.words.body(t, lang, figures, "figures.previous_week", "digest.quiet")
        return "\n".join([title, *body])

    def chart(self, lang: str, figures: Figures) -> bytes:
        def t(m: Msg) -> str:
            return self.tr.render(lang, m)

        weeks = [f"{b.astimezone(self.tz):%d/%m}" for b in figures.bounds[:-1]]
        return weekly_chart(weeks, self.words.chart_series(lang, figures),
                            self.words.chart_text(t, len(weeks)))

    @staticmethod
    async def _recipient(uow: UnitOfWork, person_id: int, unit_id: int
                         ) -> tuple[Person, OrgUnit, ChannelIdentity] | None:
        """The official, still an official of the unit, on their first reachable account."""
        person = await uow.people.get(person_id)
        unit = next((u for m, u in await uow.memberships.of_person(person_id)
                     if u.id == unit_id and m.role in OFFICIAL_ROLES), None)
        account = await uow.identities.first_reachable(person_id)
        if person is None or unit is None or account is None:
            return None
        return person, unit, account
