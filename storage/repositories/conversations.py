"""A person's open draft, stored as JSON so it survives restarts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import Conversation

_TABLE = cast(Table, Conversation.__table__)
# Core, not ORM: an ORM UPDATE would also search the session for rows to synchronise.
_UPDATE = update(_TABLE).where(_TABLE.c.id == bindparam("conversation_id"))


class Conversations:
    def __init__(self, session: AsyncSession, core: AsyncConnection) -> None:
        self.s = session
        self.c = core  # Core statements on the same transaction

    async def of_person(self, person_id: int) -> Conversation | None:
        return await self.s.scalar(select(Conversation).where(Conversation.person_id == person_id))

    async def get(self, conversation_id: int) -> Conversation | None:
        return await self.s.get(Conversation, conversation_id)

    async def reload(self, conv: Conversation) -> None:
        """Read the row again (after waiting for its person's lock)."""
        await self.s.refresh(conv)

    async def save(
        self,
        person_id: int,
        *,
        identity_id: int | None,
        unit_id: int | None,
        form_id: str | None,
        state: dict[str, Any] | None,
        now: datetime,
        current: Conversation | None = None,
    ) -> Conversation:
        """Write the person's draft state; ``current`` is their row if already loaded."""
        conv = current if current is not None else await self.of_person(person_id)
        values: dict[str, Any] = {
            "identity_id": identity_id,
            "unit_id": unit_id,
            "form_id": form_id,
            "state": state,
            "updated_at": now,
        }
        if form_id is None:
            values["started_at"] = None
        elif conv is None or conv.form_id is None:
            values["started_at"] = now
        if conv is None:
            conv = Conversation(person_id=person_id, **values)
            self.s.add(conv)
            await self.s.flush()
            return conv
        # A plain UPDATE by id, built once; the loaded row is brought up to date without
        # marking it changed, so the session does not write it a second time.
        await self.c.execute(_UPDATE, {"conversation_id": conv.id, **values})
        for key, value in values.items():
            set_committed_value(conv, key, value)
        return conv
