"""Imported forms and their versions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation
from storage.survey_models import FormDefinition


class FormDefinitions:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def latest(self, form_id: str, *, lock: bool = False) -> FormDefinition | None:
        stmt = (select(FormDefinition).where(FormDefinition.form_id == form_id)
                .order_by(FormDefinition.version.desc()).limit(1))
        if lock:
            stmt = stmt.with_for_update()
        return await self.s.scalar(stmt)

    async def versions(self, form_id: str) -> Sequence[FormDefinition]:
        return (await self.s.scalars(select(FormDefinition)
                                     .where(FormDefinition.form_id == form_id)
                                     .order_by(FormDefinition.version))).all()

    async def add(self, **values: Any) -> FormDefinition:
        row = FormDefinition(**values)
        self.s.add(row)
        await self.s.flush()
        return row

    async def replace(self, row_id: int, definition: dict[str, Any], digest: str,
                      source: str, person_id: int | None, now: datetime) -> None:
        await self.s.execute(update(FormDefinition).where(FormDefinition.id == row_id).values(
            definition=definition, digest=digest, source=source, imported_by=person_id,
            imported_at=now))

    async def current(self) -> Sequence[FormDefinition]:
        """The latest version of every imported form."""
        newest = (select(FormDefinition.form_id, func.max(FormDefinition.version).label("v"))
                  .group_by(FormDefinition.form_id).subquery())
        return (await self.s.scalars(
            select(FormDefinition).join(newest, (newest.c.form_id == FormDefinition.form_id)
                                        & (newest.c.v == FormDefinition.version))
            .order_by(FormDefinition.form_id))).all()

    async def drafts_on(self, form_id: str) -> int:
        """Open drafts of the form: a form someone is filling in is in use."""
        return int(await self.s.scalar(
            select(func.count()).select_from(Conversation)
            .where(Conversation.form_id == form_id)) or 0)
