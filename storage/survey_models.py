"""Member surveys' tables (storage/models.py holds the rest): forms imported from Excel
(XLSForm), kept with every version (a shipped form stays a YAML file in bot/forms/), the
campaigns that ask them, each unit's link, and the members' anonymous answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
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


class SurveyCampaign(Base):
    """A survey opened by an official for the CĐCS under one unit, for a window of days.

    It answers one version of one form (``form_id``, ``form_version``): a form re-imported
    meanwhile becomes a new version and this campaign's answers keep the one they answered.
    ``status``: open, closed.
    """

    __tablename__ = "survey_campaign"
    __table_args__ = (Index("ix_survey_campaign_unit_status", "unit_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[str] = mapped_column(String(64))
    form_version: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    opened_by: Mapped[int] = mapped_column(ForeignKey("person.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class SurveyUnit(Base):
    """One CĐCS in a campaign: its members' link (a random token, shared in the unit's own
    Zalo group or printed as a QR code)."""

    __tablename__ = "survey_unit"
    __table_args__ = (UniqueConstraint("campaign_id", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("survey_campaign.id",
                                                        ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime]


class SurveyResponse(Base):
    """A member's answers: anonymous (no person, no account, no address), one per browser
    (a digest of its cookie) and campaign, counted for the unit whose link it came by."""

    __tablename__ = "survey_response"
    __table_args__ = (
        UniqueConstraint("campaign_id", "device"),
        Index("ix_survey_response_campaign_unit", "campaign_id", "unit_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("survey_campaign.id",
                                                        ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    device: Mapped[str] = mapped_column(String(64))
    answers: Mapped[dict[str, Any]]
    submitted_at: Mapped[datetime]
