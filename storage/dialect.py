"""What differs between the databases: INSERT ... ON CONFLICT for whichever database the
session is bound to, statements built once per kind, SQLite's index hints."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

T = TypeVar("T")


def upsert(session: AsyncSession, table: Any) -> Any:
    """``insert(table)`` with ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    if is_postgres(session):
        return postgresql.insert(table)
    return sqlite.insert(table)


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


class PerDialect(dict[str, T]):
    """A hot-path statement built once per database kind, picked per connection.

    Composing a statement costs more than running it from SQLAlchemy's compiled cache, and a
    conversation step runs a handful of them.
    """

    def __init__(self, build: Callable[[Callable[..., Any]], T]) -> None:
        super().__init__(postgresql=build(postgresql.insert), sqlite=build(sqlite.insert))

    def on(self, connection: AsyncConnection) -> T:
        return self["postgresql" if connection.dialect.name == "postgresql" else "sqlite"]


def json_builders(session: AsyncSession) -> tuple[Any, Any]:
    """SQL functions that build a JSON object and array in a statement (set-based outbox
    rows): jsonb_build_object/array on PostgreSQL, json_object/array on SQLite."""
    from sqlalchemy import func

    if is_postgres(session):
        return func.jsonb_build_object, func.jsonb_build_array
    return func.json_object, func.json_array


# SQLite's planner without statistics (ANALYZE never run, as on most installs) can pick an
# index that reads a whole table where another would stop at a limit; SQLAlchemy drops table
# hints on SQLite, so a statement carries its hint as a comment the SQLite engine turns into
# "INDEXED BY" (storage.database). PostgreSQL's planner has its statistics: no hint there.
_HINT = re.compile(r"^SELECT /\*indexed_by (\w+) (\w+)\*/ ")


def indexed_by(stmt: Any, table: str, index: str) -> Any:
    """The statement read along ``index`` on SQLite (a missing index fails loudly there)."""
    return stmt.prefix_with(f"/*indexed_by {table} {index}*/", dialect="sqlite")


def with_index_hints(statement: str) -> str:
    found = _HINT.match(statement)
    if found is None:
        return statement
    table, index = found.groups()
    return statement.replace(f"FROM {table}", f"FROM {table} INDEXED BY {index}", 1)
