"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

import storage.directive_models
import storage.survey_models  # noqa: F401
from storage.database import create_engine
from storage.models import Base


async def test_the_migrated_schema_is_the_models_schema(db_url: str) -> None:
    engine = create_engine(db_url)

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(differences)
    finally:
        await engine.dispose()
    assert diff == []


def test_the_start_up_check_knows_the_newest_migration() -> None:
    """``storage.migrate.HEAD`` is what start-up compares the database with (without
    importing Alembic); a migration added without moving it fails here."""
    from alembic.script import ScriptDirectory

    from storage.migrate import HEAD, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [HEAD]
