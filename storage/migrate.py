"""Alembic, driven from code: `tinhhinh db upgrade` and the start-up check."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import LOCK_WAIT_SECONDS, while_locked

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head", *,
                  lock_wait: float = LOCK_WAIT_SECONDS) -> None:
    cfg = alembic_config()

    def run(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async def attempt() -> None:
        async with engine.begin() as conn:
            await conn.run_sync(run)

    await while_locked(attempt, lock_wait)


async def is_up_to_date(engine: AsyncEngine, *, lock_wait: float = LOCK_WAIT_SECONDS) -> bool:
    """True when every migration has been applied (start-up refuses otherwise). Waits for
    another process's SQLite write lock (a transaction begins IMMEDIATE here) up to
    ``lock_wait`` seconds, then raises DatabaseLocked."""
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())

    def current(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    async def attempt() -> set[str]:
        async with engine.connect() as conn:
            return await conn.run_sync(current)

    return await while_locked(attempt, lock_wait) == heads
