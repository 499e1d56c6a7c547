"""The unit of work: one transaction, the repositories over it, and the only commit."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.repositories.audit import Audit
from storage.repositories.conversations import Conversations
from storage.repositories.events import ProcessedEvents
from storage.repositories.fires import Fires
from storage.repositories.invites import Invites
from storage.repositories.org import OrgUnits
from storage.repositories.outbox import Outbox
from storage.repositories.people import Identities, Memberships, People
from storage.repositories.reports import Reports


class UnitOfWork:
    """``async with factory() as uow: ...; await uow.commit()``; leaving uncommitted rolls back."""

    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        await self.session.begin()
        s = self.session
        self.units = OrgUnits(s)
        self.people = People(s)
        self.identities = Identities(s)
        self.memberships = Memberships(s)
        self.invites = Invites(s)
        self.conversations = Conversations(s)
        self.reports = Reports(s)
        self.outbox = Outbox(s)
        self.fires = Fires(s)
        self.events = ProcessedEvents(s)
        self.audit = Audit(s)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            # On error, roll back explicitly; otherwise close() alone discards uncommitted work
            # but leaves what was read usable (a rollback would expire it).
            if exc_type is not None and self.session.in_transaction():
                await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()


class UnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._sessions)
