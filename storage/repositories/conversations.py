"""A person's open draft, stored as JSON so it survives restarts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation


class Conversations:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def of_person(self, person_id: int) -> Conversation | None:
        return await self.s.scalar(select(Conversation).where(Conversation.person_id == person_id))

    async def get(self, conversation_id: int) -> Conversation | None:
        return await self.s.get(Conversation, conversation_id)

    async def save(
        self,
        person_id: int,
        *,
        identity_id: int | None,
        unit_id: int | None,
        form_id: str | None,
        state: dict[str, Any] | None,
        now: datetime,
    ) -> Conversation:
        conv = await self.of_person(person_id)
        if conv is None:
            conv = Conversation(person_id=person_id, updated_at=now)
            self.s.add(conv)
        if form_id is not None and conv.form_id is None:
            conv.started_at = now
        conv.identity_id = identity_id
        conv.unit_id = unit_id
        conv.form_id = form_id
        conv.state = state
        conv.updated_at = now
        if form_id is None:
            conv.started_at = None
        await self.s.flush()
        return conv
