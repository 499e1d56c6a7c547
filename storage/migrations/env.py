"""Alembic environment: runs on the connection handed in by storage.migrate."""

from __future__ import annotations

from alembic import context

import storage.api_models
import storage.directive_models
import storage.survey_models  # noqa: F401
from storage.models import Base

target_metadata = Base.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `tinhhinh db upgrade`")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
