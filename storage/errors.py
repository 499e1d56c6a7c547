"""Database failures as the use cases meet them; they import no SQLAlchemy themselves."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError

# A unique key refused the row (most often the same event committed concurrently).
DuplicateRow = IntegrityError


def connection_lost(exc: BaseException) -> bool:
    """The database restarted under a pooled connection: nothing was applied, and the pool
    has been emptied, so the work can simply run again."""
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)
