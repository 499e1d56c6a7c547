"""Sign-in links, browser sessions and the web signing key."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, WebKey, WebPass


class WebPasses:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, *, digest: str, kind: str, person_id: int, identity_id: int,
                  now: datetime, lifetime: timedelta, next_path: str | None = None,
                  csrf: str | None = None) -> WebPass:
        row = WebPass(digest=digest, kind=kind, person_id=person_id, identity_id=identity_id,
                      next_path=next_path, csrf=csrf, created_at=now,
                      expires_at=now + lifetime)
        self.s.add(row)
        await self.s.flush()
        return row

    async def lock(self, digest: str) -> WebPass | None:
        return await self.s.scalar(select(WebPass).where(WebPass.digest == digest)
                                   .with_for_update())

    async def find(self, digest: str, kind: str, now: datetime
                   ) -> tuple[WebPass, str | None] | None:
        """A live pass of this kind (not used, not expired), with its person's language
        (every page request asks both: one statement)."""
        row = (await self.s.execute(
            select(WebPass, Person.language).join(Person, Person.id == WebPass.person_id)
            .where(WebPass.digest == digest, WebPass.kind == kind,
                   WebPass.used_at.is_(None), WebPass.expires_at > now))).first()
        return (row[0], row[1]) if row is not None else None

    async def use(self, pass_id: int, now: datetime) -> None:
        await self.s.execute(update(WebPass).where(WebPass.id == pass_id).values(used_at=now))

    async def count_since(self, person_id: int, kind: str, since: datetime) -> int:
        return int(await self.s.scalar(select(func.count()).select_from(WebPass).where(
            WebPass.person_id == person_id, WebPass.kind == kind,
            WebPass.created_at >= since)) or 0)

    async def purge(self, now: datetime) -> int:
        """Drop passes past their end (the audit log keeps sign-ins)."""
        result = await self.s.execute(delete(WebPass).where(WebPass.expires_at < now))
        return int(getattr(result, "rowcount", 0) or 0)

    async def key(self, make: str, now: datetime) -> str:
        """The signing key: the first one made is everyone's (``make`` is used only when the
        table is empty; a race between two first starts keeps the lowest id)."""
        found = await self.s.scalar(select(WebKey.key).order_by(WebKey.id).limit(1))
        if found is not None:
            return found
        self.s.add(WebKey(key=make, created_at=now))
        await self.s.flush()
        return str(await self.s.scalar(select(WebKey.key).order_by(WebKey.id).limit(1)))
