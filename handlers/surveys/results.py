"""A survey's results for one unit's subtree: per question the count and share of each answer
(and a scale's mean), the response rate against the members the units' latest monthly reports
give (saying which periods), and free-text answers only where privacy by level allows.

Who sees what: an official of the campaign's unit or above sees all of it; an official of a
unit inside the campaign sees their own subtree. Free text (handlers.people.privacy.may_read's
rule) is read only from units whose direct upper level is the reader's (or the reader's own);
the rest is counted as withheld. Counts are grouped statements, one per question: 100,000
responses are not loaded to be counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.engine.form import Question
from bot.policy import DirectiveRule
from handlers.directives.publishing import official_units
from handlers.people.privacy import Reader
from handlers.reports.page import NotYours
from handlers.surveys.answering import SurveyPages
from storage.models import OrgUnit
from storage.repositories.members import Members
from storage.survey_models import SurveyCampaign
from storage.uow import UnitOfWork

TEXTS_SHOWN = 200  # free-text answers listed on a page (the export has them all)


@dataclass(frozen=True)
class Option:
    key: str
    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    label: str
    answered: int
    options: tuple[Option, ...] = ()
    mean: float | None = None
    texts: tuple[str, ...] = ()
    withheld: int = 0


@dataclass(frozen=True)
class SurveyResults:
    campaign: SurveyCampaign
    title: str
    scope: OrgUnit
    scopes: tuple[OrgUnit, ...]  # the subtrees this reader may choose
    responses: int
    units: int  # CĐCS of the campaign in the scope
    members: Members
    questions: tuple[QuestionResult, ...]
    # (unit: a row with id, code, name, path; responses; members)
    by_unit: tuple[tuple[Any, int, int | None], ...]

    @property
    def rate(self) -> int | None:
        return _percent(self.responses, self.members.total) if self.members.total else None


def _percent(part: int, whole: int) -> int:
    return int(part * 100 / whole + 0.5) if whole else 0


class SurveyResultsDesk:
    def __init__(self, pages: SurveyPages, rule: DirectiveRule, tz: ZoneInfo) -> None:
        self.pages = pages
        self.rule = rule  # where members are counted from (the directives' same rule)
        self.tz = tz

    async def scopes(self, uow: UnitOfWork, person_id: int, campaign: SurveyCampaign
                     ) -> list[OrgUnit]:
        """The subtrees of the campaign this person may read, widest first."""
        top = await uow.units.get(campaign.unit_id)
        if top is None:
            return []
        found: dict[int, OrgUnit] = {}
        for unit in await official_units(uow, person_id):
            if top.path.startswith(unit.path):
                found[top.id] = top  # at or above the campaign's unit: all of it
            elif unit.path.startswith(top.path):
                found[unit.id] = unit
        return sorted(found.values(), key=lambda u: (u.depth, u.path))

    async def results(self, uow: UnitOfWork, person_id: int, campaign_id: int,
                      unit_id: int | None, lang: str) -> SurveyResults:
        campaign = await uow.surveys.campaign(campaign_id)
        scopes = await self.scopes(uow, person_id, campaign) if campaign else []
        if campaign is None or not scopes:
            raise NotYours(campaign_id)
        scope = scopes[0]
        if unit_id is not None:
            chosen = await uow.units.get(unit_id)
            if chosen is None or not any(chosen.path.startswith(s.path) for s in scopes):
                raise NotYours(unit_id)
            scope = chosen
        engine = await self.pages.engine(uow, campaign.form_id, campaign.form_version)
        if engine is None:
            raise NotYours(campaign_id)
        form = engine.forms[campaign.form_id]
        # The campaign's whole subtree needs no filter on units: every response is in it.
        paths = [] if scope.id == campaign.unit_id else [scope.path]
        answered = await uow.surveys.answered(campaign.id, paths)
        links = await uow.surveys.unit_rows(campaign.id, scope.path)
        members, per_unit = await uow.surveys.members_in(
            campaign.id, scope.path, self.rule.members_form, self.rule.members_question)
        reader = Reader.of(await uow.memberships.of_person(person_id))
        single = [q.key for q in form.questions if q.choices and not q.kind.multi]
        counted = await uow.surveys.value_counts_many(campaign.id, paths, single)
        questions = tuple([await self._question(uow, campaign.id, paths, q, lang, reader,
                                                counted.get(q.key))
                           for q in form.questions])
        return SurveyResults(
            campaign, form.title_text(lang), scope, tuple(scopes), sum(answered.values()),
            len(links), members, questions,
            tuple((u, answered.get(u.id, 0), per_unit.get(u.id, (None, ""))[0])
                  for u in links))

    async def _question(self, uow: UnitOfWork, campaign_id: int, paths: list[str],
                        q: Question, lang: str, reader: Reader,
                        counts: dict[str, int] | None) -> QuestionResult:
        label = q.text(lang)
        if q.kind.multi:
            counts, answered = await uow.surveys.ticked_counts(campaign_id, paths, q.key)
            return QuestionResult(q, label, answered, self._options(q, counts, answered, lang))
        if q.choices:
            counts = counts or {}
            answered = sum(counts.values())
            mean = None
            if q.type == "scale" and answered:
                mean = round(sum(int(k) * n for k, n in counts.items()) / answered, 2)
            return QuestionResult(q, label, answered, self._options(q, counts, answered, lang),
                                  mean)
        if not q.free_text:  # a number or a date: how many answered, and a number's mean
            answered, mean = await uow.surveys.numbers(campaign_id, paths, q.key,
                                                       q.type in ("integer", "decimal"))
            return QuestionResult(q, label, answered, mean=mean)
        texts, readable, total = await uow.surveys.texts(
            campaign_id, paths, q.key, sorted(reader.official_units),
            sorted(reader.own_units), TEXTS_SHOWN)
        return QuestionResult(q, label, total, texts=tuple(texts), withheld=total - readable)

    @staticmethod
    def _options(q: Question, counts: dict[str, int], answered: int, lang: str
                 ) -> tuple[Option, ...]:
        return tuple(Option(c.key, c.text(lang), counts.get(c.key, 0),
                            _percent(counts.get(c.key, 0), answered)) for c in q.choices)


@dataclass(frozen=True)
class ClosedSurvey:
    """A campaign that ended, as the weekly digest sums it up (once: the week it closed)."""

    title: str
    responses: int
    units: int
    members: Members

    @property
    def rate(self) -> int | None:
        return _percent(self.responses, self.members.total) if self.members.total else None


async def closed_in(uow: UnitOfWork, unit: OrgUnit, start: datetime, end: datetime,
                    rule: DirectiveRule, lang: str) -> list[ClosedSurvey]:
    """Campaigns closed in [start, end) that reached ``unit``'s subtree: over that subtree
    (a campaign opened above it), or whole (one opened inside it)."""
    out = []
    for campaign, top in await uow.surveys.closed_between(start, end):
        if top.path.startswith(unit.path):
            scope = top.path
        elif unit.path.startswith(top.path):
            scope = unit.path
        else:
            continue
        answered = await uow.surveys.answered(campaign.id, [scope])
        links = [u for _, u in await uow.surveys.units(campaign.id)
                 if u.path.startswith(scope)]
        members, _ = await uow.surveys.members_in(campaign.id, scope, rule.members_form,
                                                  rule.members_question)
        stored = await uow.forms.latest(campaign.form_id)
        title = (stored.definition.get("title", {}) if stored else {}) or {}
        out.append(ClosedSurvey(title.get(lang) or title.get("vi", campaign.form_id),
                                sum(answered.values()), len(links), members))
    return out
