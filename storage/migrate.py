"""Alembic, driven from code: `tinhhinh db upgrade` and the start-up check.

Alembic is imported only to migrate: the start-up check compares the database's recorded
revision with ``HEAD`` in one query (importing Alembic and reading its script directory took
about 0.13 s of every start). tests/storage/test_migrations.py holds ``HEAD`` to Alembic's own
head, so a new migration without it fails there.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import LOCK_WAIT_SECONDS, while_locked

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0015"  # the newest migration's revision


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head", *,
                  lock_wait: float = LOCK_WAIT_SECONDS) -> None:
    from alembic import command

    cfg = alembic_config()

    def run(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async def attempt() -> None:
        async with engine.begin() as conn:
            await conn.run_sync(run)

    await while_locked(attempt, lock_wait)


def _recorded(connection: Connection) -> set[str]:
    """The revisions the database records (none before its first migration)."""
    if not inspect(connection).has_table("alembic_version"):
        return set()
    return set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


async def is_up_to_date(engine: AsyncEngine, *, lock_wait: float = LOCK_WAIT_SECONDS) -> bool:
    """True when every migration has been applied (start-up refuses otherwise). Waits for
    another process's SQLite write lock up to ``lock_wait`` seconds, then raises
    DatabaseLocked."""

    async def attempt() -> set[str]:
        async with engine.connect() as conn:
            return await conn.run_sync(_recorded)

    return await while_locked(attempt, lock_wait) == {HEAD}
