"""The read-only API's tokens (kept apart from storage/models.py, which holds the rest)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class ApiToken(Base):
    """A token another system (the LĐLĐ's member software, Power BI) reads one subtree with.

    Only a SHA-256 of the secret is kept: the secret is shown once, when an administrator
    makes it. It reads what an official of ``unit_id`` reads (privacy by level included)
    until it is revoked.
    """

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
