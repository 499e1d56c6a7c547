"""The tables. Each aggregate is one class; relations are by id, loaded explicitly."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import false

from storage.types import JsonDoc, UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JsonDoc,
    }


class OrgUnit(Base):
    """A union unit at any level; the tree is generic (DOMAIN.md: levels keep changing)."""

    __tablename__ = "org_unit"
    __table_args__ = (
        # varchar_pattern_ops lets PostgreSQL serve "path LIKE '/1/4/%'" from the index.
        Index("ix_org_unit_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(100), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    # Materialised path "/1/4/17/" so a subtree is one indexed LIKE, not a recursive walk.
    path: Mapped[str] = mapped_column(String(1000), default="/")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Person(Base):
    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime]


class ChannelIdentity(Base):
    """One messenger account (``telegram:123``, ``zalo:abc``, ``console:demo``)."""

    __tablename__ = "channel_identity"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    # Where replies go; for private chats the same as external_id.
    address: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    unreachable_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("person_id", "unit_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # chair | official
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("invite.id"))
    created_at: Mapped[datetime]


class Invite(Base):
    __tablename__ = "invite"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime]
    # Withdrawn before it was used up (a lost sheet, a chair who left): refused in the chat.
    revoked_at: Mapped[datetime | None]


class Conversation(Base):
    """A person's one open draft (or none): the engine session plus the host's own state."""

    __tablename__ = "conversation"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("channel_identity.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    form_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[dict[str, Any] | None]
    started_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class Report(Base):
    __tablename__ = "report"
    __table_args__ = (
        # Covering for the figures (reports by week and category of a subtree): counted
        # from the index alone, never from the rows and their answers.
        Index("ix_report_unit_submitted", "unit_id", "submitted_at", "status", "category",
              "form_id"),
        Index("ix_report_form_period", "form_id", "period"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("channel_identity.id"))
    form_id: Mapped[str] = mapped_column(String(64))
    form_version: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    severity: Mapped[str | None] = mapped_column(String(64), index=True)
    answers: Mapped[dict[str, Any]]
    # submitted (counts), held (a second report for a period, waiting for the chair to confirm
    # it replaces the first), replaced (by a later one), kept_old (the chair kept the first).
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    submitted_at: Mapped[datetime] = mapped_column(index=True)
    # A periodic report filed as "Không có gì mới": no answers, nothing new this period.
    nil: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The report of the same period that this one replaced (the history is kept).
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"))
    # Its typed words folded (no diacritics, lower case) for the console's search; matched
    # only where privacy by level lets the searcher read them.
    words: Mapped[str | None] = mapped_column(Text)


class RefCounter(Base):
    """Per-year sequence behind reference numbers like BC-2026-000123."""

    __tablename__ = "ref_counter"
    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class ProcessedEvent(Base):
    """Inbound event ids already applied; written in the same transaction as their effects."""

    __tablename__ = "processed_event"
    __table_args__ = (UniqueConstraint("channel", "event_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(128))
    processed_at: Mapped[datetime] = mapped_column(index=True)


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # The delivery claim reads due rows in send order and stops after a few batches'
        # worth: its cost does not grow with the backlog (storage/repositories/outbox.py).
        Index("ix_outbox_send_order", "status", "priority", "id"),
        # Only rows out on a lease have one (every other state clears it): the claim finds
        # the busy chats and the lapsed rows among those few, never across the backlog.
        Index("ix_outbox_lease", "lease_until"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a chat that is no one's account: a group chat's one hint a day, or the sender
    # of an update that could not be stored (told that it was not taken).
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("channel_identity.id"),
                                                    index=True)
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16), default="reply")
    priority: Mapped[int] = mapped_column(Integer, default=1)
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class Fire(Base):
    """A durable timer: due_at, what to do, and a version so a stale claim loses."""

    __tablename__ = "fire"
    __table_args__ = (
        UniqueConstraint("kind", "target"),
        Index("ix_fire_due", "status", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128))
    due_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_actor_action_at", "actor_identity_id", "action", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    actor_identity_id: Mapped[int | None] = mapped_column(ForeignKey("channel_identity.id"))
    actor_label: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(128), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ChannelUsage(Base):
    """What a messenger bot has used of its monthly allowance (Zalo: messages and users)."""

    __tablename__ = "channel_usage"
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11", local time
    messages: Mapped[int] = mapped_column(Integer, default=0)
    users: Mapped[int] = mapped_column(Integer, default=0)
    # The messenger's last "quota exceeded" (Zalo 429), whatever our count says.
    exhausted_at: Mapped[datetime | None]
    # After a 429 nothing goes before this time; the first send after it is the probe.
    paused_until: Mapped[datetime | None]
    # 429s in a row without a send in between: each doubles the pause, up to its cap.
    strikes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # What people with no role (strangers) have used: their own small share.
    stranger_messages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    stranger_users: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ChannelUsageUser(Base):
    """Identities counted against a bot's monthly user cap."""

    __tablename__ = "channel_usage_user"
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    identity_id: Mapped[int] = mapped_column(
        ForeignKey("channel_identity.id", ondelete="CASCADE"), primary_key=True
    )


class ChannelUsageWindow(Base):
    """Replies one account got from a quota-counted bot in a window: a stranger's day
    ("d:2026-11-24"), anyone's hour ("h:2026-11-24T10"), local time. Bounded per window."""

    __tablename__ = "channel_usage_window"
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    span: Mapped[str] = mapped_column(String(16), primary_key=True)
    identity_id: Mapped[int] = mapped_column(
        ForeignKey("channel_identity.id", ondelete="CASCADE"), primary_key=True
    )
    replies: Mapped[int] = mapped_column(Integer, default=0)


class InboundUpdate(Base):
    """An update as a messenger delivered it, kept before it is applied: Zalo hands each
    update out once, so it is written here first and applied from here, after a crash too.
    One that cannot be applied stays with its reason: ``malformed`` (not an update) or
    ``failed`` (failing again and again while the database worked)."""

    __tablename__ = "inbound_update"
    __table_args__ = (
        UniqueConstraint("channel", "event_id"),
        Index("ix_inbound_update_status_id", "status", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(128))
    chat_id: Mapped[str] = mapped_column(String(128), default="")
    # The update as received, as JSON text (escaped, so any character can be stored).
    body: Mapped[str] = mapped_column(Text)
    # pending | failed | malformed (an applied update is deleted: see InboundUpdates.done)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class LinkCode(Base):
    """A short-lived code that joins a second messenger account to a person ("/lienket")."""

    __tablename__ = "link_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    identity_id: Mapped[int] = mapped_column(ForeignKey("channel_identity.id"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # The other account that typed the code, waiting for this account's consent.
    pending_identity_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_identity.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime | None]


class Incident(Base):
    """A hot spot opened by a report's answers, worked by the officials above the unit."""

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_state_opened", "state", "opened_at"),)
    # The id is the number people type ("TN 12"): short, and unique across years.
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    severity: Mapped[str] = mapped_column(String(32))
    # open | acknowledged | resolved | reopened (open again after a resolution)
    state: Mapped[str] = mapped_column(String(16), default="open")
    # The rules that matched, and the ladder as the policy said when it opened.
    rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ladder: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The last escalation step run, and the furthest level alerted (0 = the parent unit).
    step: Mapped[int] = mapped_column(Integer, default=-1)
    level: Mapped[int] = mapped_column(Integer, default=-1)
    # When step 0 went (or will go): every later step is counted from it.
    first_alert_at: Mapped[datetime]
    opened_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    resolution: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


class IncidentEvent(Base):
    """What happened to an incident, in order: opened, alerted, acknowledged, noted..."""

    __tablename__ = "incident_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    actor_identity_id: Mapped[int | None] = mapped_column(ForeignKey("channel_identity.id"))
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PeriodObligation(Base):
    """One unit's periodic report for one period: the compliance ledger's row.

    status: pending (not yet due), on_time, late, nil ("không có gì mới"), missing (due date
    passed with nothing filed; a later report turns it late).
    """

    __tablename__ = "period_obligation"
    __table_args__ = (
        UniqueConstraint("unit_id", "kind", "period"),
        Index("ix_period_obligation_period_status", "kind", "period", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    kind: Mapped[str] = mapped_column(String(16))  # thang | quy | nam
    period: Mapped[str] = mapped_column(String(16))  # 2026-11 | 2026-Q4 | 2026
    form_id: Mapped[str] = mapped_column(String(64))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"))
    submitted_at: Mapped[datetime | None]
    # The last reminder step sent to the unit (before_3, due, overdue_2...).
    last_step: Mapped[str | None] = mapped_column(String(16))
    # When the unit went on its officials' overdue list (after the listing reminder).
    overdue_since: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class StoredFile(Base):
    """A file the bot sends (a digest's chart, an Excel export), written in the same
    transaction as the outbox row that carries it, so the delivery worker of any process can
    send it after a restart."""

    __tablename__ = "stored_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(index=True)


class WebPass(Base):
    """A way into the web pages: a one-time sign-in link or a signed-in browser's session.

    Only a SHA-256 of the secret is kept, so a copy of the database opens no session. A link
    (kind "link") is bound to the account it was sent to and used once; a session (kind
    "session") carries its own CSRF secret and ends at ``expires_at`` or at sign-out.
    """

    __tablename__ = "web_pass"
    __table_args__ = (Index("ix_web_pass_person_kind_created", "person_id", "kind",
                            "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    identity_id: Mapped[int] = mapped_column(
        ForeignKey("channel_identity.id", ondelete="CASCADE"))
    # Where the link leads after sign-in (a path on this site, never a full URL).
    next_path: Mapped[str | None] = mapped_column(String(200))
    csrf: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebKey(Base):
    """The server's signing key for media URLs and CSRF, made once at first use, so links
    signed before a restart still open after it (and by every process of the service)."""

    __tablename__ = "web_key"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
