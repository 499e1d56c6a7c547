"""The directives' tables: a directive sent down the tree, its ledger of units, and the
members' own confirmations (kept apart from storage/models.py, which holds the rest)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class Directive(Base):
    """A văn bản chỉ đạo: written by an official for the units under their unit.

    ``status``: draft (being reviewed, sent to no one), published, withdrawn. A correction
    makes a new ``version`` of the same directive (the ledger stays; the units are told).
    The attached document lives here, not in ``stored_file``: members open it for as long as
    the directive stands, while sent files are dropped after a month.
    """

    __tablename__ = "directive"
    __table_args__ = (Index("ix_directive_unit_status", "unit_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    author_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # received: "đã nhận" only; disseminated: also "đã quán triệt" with members reached.
    asks: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Chosen units (ids); empty: every grassroots unit under ``unit_id``.
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_mime: Mapped[str | None] = mapped_column(String(100))
    file_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]


class DirectiveRecipient(Base):
    """One unit's row of a directive's ledger: pending, received, disseminated."""

    __tablename__ = "directive_recipient"
    __table_args__ = (
        UniqueConstraint("directive_id", "unit_id"),
        Index("ix_directive_recipient_directive_state", "directive_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directive.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    # The unit's link for its members (random; shared in the unit's own Zalo group).
    token: Mapped[str] = mapped_column(String(32), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    received_at: Mapped[datetime | None]
    received_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    disseminated_at: Mapped[datetime | None]
    disseminated_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reached: Mapped[int | None] = mapped_column(Integer)
    reached_on: Mapped[date | None] = mapped_column(Date)
    method: Mapped[str | None] = mapped_column(String(16))
    # Where the last answer came from: a messenger's name or "web".
    via: Mapped[str | None] = mapped_column(String(32))
    last_step: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DirectiveRead(Base):
    """A member's "Tôi đã đọc", one per browser (a digest of its cookie) and directive."""

    __tablename__ = "directive_read"
    __table_args__ = (
        UniqueConstraint("directive_id", "device"),
        Index("ix_directive_read_directive_unit", "directive_id", "unit_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directive.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    device: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
