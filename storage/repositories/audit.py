"""The audit log: who did what, when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditLog


class Audit:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def write(
        self,
        action: str,
        now: datetime,
        *,
        subject: str = "",
        details: dict[str, Any] | None = None,
        person_id: int | None = None,
        identity_id: int | None = None,
        label: str = "",
    ) -> None:
        self.s.add(
            AuditLog(
                at=now,
                action=action,
                subject=subject,
                details=details or {},
                actor_person_id=person_id,
                actor_identity_id=identity_id,
                actor_label=label,
            )
        )
        await self.s.flush()

    async def count_since(self, identity_id: int, action: str, since: datetime) -> int:
        count = await self.s.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(
                AuditLog.actor_identity_id == identity_id,
                AuditLog.action == action,
                AuditLog.at >= since,
            )
        )
        return int(count or 0)
