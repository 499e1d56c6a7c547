"""The unit of work: one transaction, the repositories over it, and the only commit."""

from __future__ import annotations

import asyncio
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from storage.database import LOCK_WAIT_SECONDS, while_locked
from storage.repositories.api import ApiTokens
from storage.repositories.arrivals import Arrivals
from storage.repositories.audit import Audit
from storage.repositories.conversations import Conversations
from storage.repositories.directives import Directives
from storage.repositories.events import ProcessedEvents
from storage.repositories.exports import Exports
from storage.repositories.files import Files
from storage.repositories.fires import Fires
from storage.repositories.forms import FormDefinitions
from storage.repositories.inbound import InboundUpdates
from storage.repositories.incidents import Incidents
from storage.repositories.invites import Invites
from storage.repositories.links import Links
from storage.repositories.obligations import Obligations
from storage.repositories.org import OrgUnits
from storage.repositories.outbox import Outbox
from storage.repositories.people import Identities, Memberships, People
from storage.repositories.reports import Reports
from storage.repositories.retention import Retention
from storage.repositories.stats import Stats
from storage.repositories.surveys import Surveys
from storage.repositories.usage import Usage
from storage.repositories.web import WebPasses


class UnitOfWork:
    """``async with factory() as uow: ...; await uow.commit()``; leaving uncommitted rolls back."""

    session: AsyncSession
    core: AsyncConnection

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], gate: asyncio.Lock | None = None,
        lock_wait: float = LOCK_WAIT_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._gate = gate
        self._lock_wait = lock_wait

    async def __aenter__(self) -> UnitOfWork:
        if self._gate is not None:
            await self._gate.acquire()
            try:
                self.session = await self._begin_write()
            except BaseException:
                self._gate.release()
                raise
        else:
            self.session = self._sessions()
            await self.session.begin()
        s = self.session
        # The session's own connection and transaction, for the hot path's Core statements:
        # they skip the ORM's per-statement bookkeeping (a step runs a handful of them).
        c = self.core = await s.connection()
        self.units = OrgUnits(s)
        self.people = People(s)
        self.identities = Identities(s)
        self.memberships = Memberships(s)
        self.invites = Invites(s)
        self.conversations = Conversations(s, c)
        self.reports = Reports(s, c)
        self.outbox = Outbox(s, c)
        self.fires = Fires(s, c)
        self.events = ProcessedEvents(s, c)
        self.arrivals = Arrivals(s, self.events)
        self.audit = Audit(s)
        self.usage = Usage(s)
        self.links = Links(s)
        self.incidents = Incidents(s)
        self.obligations = Obligations(s)
        self.files = Files(s)
        self.exports = Exports(s)
        self.stats = Stats(s)
        self.inbound = InboundUpdates(s)
        self.web = WebPasses(s)
        self.retention = Retention(s)
        self.directives = Directives(s)
        self.forms = FormDefinitions(s)
        self.surveys = Surveys(s)
        self.api = ApiTokens(s)
        return self

    async def _begin_write(self) -> AsyncSession:
        """SQLite: take the write lock now, waiting out another process without blocking.

        The connection never blocks on a lock (see ``storage.sqlite_inline``); another
        process holding the lock (an import from the command line) is retried here.
        """
        async def begin() -> AsyncSession:
            session = self._sessions()
            try:
                await session.connection()  # BEGIN IMMEDIATE
            except BaseException:
                await session.close()
                raise
            return session

        return await while_locked(begin, self._lock_wait)

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
            try:
                await self.session.close()
            finally:
                if self._gate is not None:
                    self._gate.release()

    async def commit(self) -> None:
        await self.session.commit()


class UnitOfWorkFactory:
    """Units of work over one database. On SQLite, write transactions queue here in arrival
    order (one writer at a time is all SQLite allows) instead of spinning on its lock."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession],
                 lock_wait: float = LOCK_WAIT_SECONDS) -> None:
        self._sessions = sessions
        self.lock_wait = lock_wait
        bind = sessions.kw.get("bind")
        self._gate = asyncio.Lock() if bind is not None and bind.dialect.name == "sqlite" else None

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._sessions, self._gate, self.lock_wait)
