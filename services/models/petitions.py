"""E-petitions and their signatures."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, utcnow
from services.models.core import BigId


class PetitionStatus(StrEnum):
    MODERATION = "moderation"
    COLLECTING = "collecting"
    AWAITING_ANSWER = "awaiting_answer"
    UNDER_CONSIDERATION = "under_consideration"
    ANSWERED = "answered"
    NOT_ENOUGH_SIGNATURES = "not_enough_signatures"
    REJECTED = "rejected"
    HIDDEN = "hidden"


class RejectReason(StrEnum):
    DUPLICATE = "duplicate"
    OUTSIDE_COMPETENCE = "outside_competence"
    NO_CLEAR_REQUEST = "no_clear_request"
    OFFENSIVE = "offensive"


class AnswerKind(StrEnum):
    SUPPORTED = "supported"
    NOT_SUPPORTED = "not_supported"
    PARTLY = "partly"


class Petition(Base):
    """A petition from filing to the council's answer; counters are kept on the row for speed."""

    __tablename__ = "petitions"
    __table_args__ = (
        # The public lists filter on status (+ deadline for open ones) and page by one ordering;
        # covering indexes let a page of ids be found without reading the petitions' texts.
        Index("ix_petitions_open_newest", "status", "deadline", "published_at"),
        Index("ix_petitions_open_top", "status", "deadline", "signature_count"),
        Index("ix_petitions_status_reached", "status", "reached_at"),
        Index("ix_petitions_author_status", "author_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Public number, given in order of publication (drafts and rejected ones get none).
    number: Mapped[int | None] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64))
    # Casefolded title + text: case-insensitive word search for Cyrillic on SQLite too.
    search_text: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(24), default=PetitionStatus.MODERATION)
    reject_reason: Mapped[str | None] = mapped_column(String(32))
    reject_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    moderation_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    moderation_warned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    threshold: Mapped[int | None] = mapped_column(Integer)
    signature_count: Mapped[int] = mapped_column(Integer, default=0)
    reached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answer_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answer_text: Mapped[str | None] = mapped_column(Text)
    answer_kind: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Signature(Base):
    """One verified resident's signature; the unique pair makes a second one impossible."""

    __tablename__ = "petition_signatures"
    __table_args__ = (
        UniqueConstraint("petition_id", "resident_id"),
        # "Petitions I signed", newest first, without touching the signatures table itself.
        Index("ix_petition_signatures_resident", "resident_id", "created_at", "petition_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    # Always given: the channel the resident used (services.models.Channel).
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
