"""A survey answered in the chat (/khaosat) by enrolled people, chairs and officials, through
the same engine as the reports: the form a campaign asks, started as a draft whose finished
answers become the campaign's response (the form ``becomes: survey``).

One response per person and campaign: the response keeps, instead of a browser's digest, a
keyed digest of the person and campaign (HMAC-SHA256 under the server's signing key), so one
person answers once while the response names nobody. The response counts for the
person's unit in the campaign (their CĐCS, or the official's own unit).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.engine import effects as fx
from bot.engine.form import Choice, Form
from bot.engine.messages import Msg
from handlers.conversation.questions import HostQuestion
from handlers.conversation.turn import Turn
from handlers.reports.flow import ReportFlow
from handlers.surveys.answering import SurveyPages
from storage.models import OrgUnit
from storage.survey_models import SurveyCampaign

AskChoice = Callable[[Turn, dict[str, Any]], Awaitable[None]]
PICK = "survey_pick"


class SurveyChat:
    def __init__(self, flow: ReportFlow, pages: SurveyPages, live_forms: dict[str, Form],
                 ask_choice: AskChoice) -> None:
        self.flow = flow
        self.pages = pages
        # The engine's own forms: a campaign's form joins them when first answered in chat.
        self.live_forms = live_forms
        self.ask_choice = ask_choice
        self.questions: dict[str, HostQuestion] = {PICK: _Pick(self)}

    @staticmethod
    async def device(turn: Turn, campaign_id: int) -> str:
        key = await turn.uow.web.key(secrets.token_hex(32), turn.now)
        return hmac.new(key.encode(), f"chat:{campaign_id}:{turn.person.id}".encode(),
                        hashlib.sha256).hexdigest()

    async def offered(self, turn: Turn) -> list[tuple[SurveyCampaign, OrgUnit]]:
        """Campaigns taking answers today that reach one of the person's units, the person
        has not answered yet; each with the unit the answer counts for."""
        units = [u for _, u in await turn.memberships()]
        out = []
        for campaign, top in await turn.uow.surveys.open_on(turn.local_now.date()):
            unit = next((u for u in units if u.path.startswith(top.path)), None)
            if unit is not None and not await turn.uow.surveys.has_responded(
                    campaign.id, await self.device(turn, campaign.id)):
                out.append((campaign, unit))
        return out

    async def command(self, turn: Turn) -> None:
        if turn.draft.session is not None:
            await turn.say(Msg("directive.draft_open"))
            return
        offered = await self.offered(turn)
        if not offered:
            await turn.say(Msg("survey.chat_none"))
        elif len(offered) == 1:
            await self.start(turn, *offered[0])
        else:
            await self.ask_choice(turn, {"kind": PICK})

    async def start(self, turn: Turn, campaign: SurveyCampaign, unit: OrgUnit) -> None:
        engine = await self.pages.engine(turn.uow, campaign.form_id, campaign.form_version)
        if engine is None:
            await turn.say(Msg("survey.chat_none"))
            return
        self.live_forms[campaign.form_id] = engine.forms[campaign.form_id]
        await self.flow.start(turn, campaign.form_id, unit, turn.conversation,
                              context={"campaign": campaign.id})

    async def submitted(self, turn: Turn, unit_id: int, done: fx.Submitted,
                        context: Mapping[str, Any]) -> None:
        campaign_id = int(context.get("campaign", 0))
        campaign = await turn.uow.surveys.campaign(campaign_id)
        today = turn.local_now.date()
        if campaign is None or campaign.status != "open" or today > campaign.ends_on:
            await turn.say(Msg("survey.chat_closed"))
            return
        stored = await turn.uow.surveys.respond(
            campaign.id, unit_id, await self.device(turn, campaign.id),
            dict(done.answers), turn.now)
        await turn.say(Msg("survey.thanks" if stored else "survey.already"))


class _Pick:
    """Several campaigns open to this person: which one to answer now."""

    def __init__(self, chat: SurveyChat) -> None:
        self.chat = chat

    async def choices(self, turn: Turn, pending: dict[str, Any]) -> list[Choice]:
        out = []
        for campaign, unit in await self.chat.offered(turn):
            form = self.chat.live_forms.get(campaign.form_id)
            title = form.title_text(turn.lang) if form else campaign.form_id
            out.append(Choice(str(campaign.id), {"vi": f"{title} – {unit.name}"}))
        return out

    async def answer(self, turn: Turn, pending: dict[str, Any], key: str) -> None:
        found = next(((c, u) for c, u in await self.chat.offered(turn) if str(c.id) == key),
                     None)
        if found is not None:
            await self.chat.start(turn, *found)
