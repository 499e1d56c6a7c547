"""Files the bot sends (charts, Excel exports), kept until they are old enough to drop."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import StoredFile


class Files:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, name: str, mime: str, data: bytes, now: datetime) -> int:
        row = StoredFile(name=name, mime=mime, size=len(data), data=data, created_at=now)
        self.s.add(row)
        await self.s.flush()
        return row.id

    async def get(self, file_id: int) -> StoredFile | None:
        return await self.s.scalar(select(StoredFile).where(StoredFile.id == file_id))

    async def drop_before(self, when: datetime) -> int:
        """Drop files made before ``when``: a message still waiting that long is dead."""
        result = await self.s.execute(delete(StoredFile).where(StoredFile.created_at < when))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
