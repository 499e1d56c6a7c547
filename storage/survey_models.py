"""Forms imported from Excel (XLSForm), kept with every version (storage/models.py holds the
rest). A shipped form stays a YAML file in bot/forms/; an imported one lives here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class FormDefinition(Base):
    """One version of an imported form: its data (the YAML forms' shape, as read from the
    file), the file's SHA-256 (a re-import of the same file changes nothing) and who brought
    it. A version in use is never changed: a changed file becomes the next version."""

    __tablename__ = "form_definition"
    __table_args__ = (UniqueConstraint("form_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]]
    digest: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200), default="")
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    imported_at: Mapped[datetime]
