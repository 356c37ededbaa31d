"""Citizens' appeals (Law No. 393/96): the register, its history, files and supporters."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.db import Base, utcnow
from services.models.core import BigId
from services.models.drafts import Draft


class AppealType(StrEnum):
    """Art. 3: the three kinds of appeal."""

    PROPOSAL = "proposal"
    APPLICATION = "application"
    COMPLAINT = "complaint"


class AppealStatus(StrEnum):
    REGISTERED = "registered"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    EXTENDED = "extended"
    ANSWERED = "answered"
    RETURNED = "returned"
    CLOSED = "closed"
    REOPENED = "reopened"
    MERGED = "merged"


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"


class Appeal(Base):
    """One registered appeal; author name and address are a snapshot taken at filing."""

    __tablename__ = "appeals"
    __table_args__ = (
        UniqueConstraint("year", "seq"),
        Index("ix_appeals_status_category", "status", "category"),
        Index("ix_appeals_deadline", "deadline"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    author_name: Mapped[str] = mapped_column(String(200))
    author_address: Mapped[str] = mapped_column(String(260))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location_text: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=AppealStatus.REGISTERED)
    department: Mapped[str | None] = mapped_column(String(64))
    assignee: Mapped[str | None] = mapped_column(String(80))
    is_simple: Mapped[bool] = mapped_column(Boolean, default=False)
    # The author's choice when filing: other residents may read the text and the answer.
    is_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # A calendar date in the council's zone: the answer is due by the end of that day.
    deadline: Mapped[date] = mapped_column(Date)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    returned_reason: Mapped[str | None] = mapped_column(Text)
    answer_text: Mapped[str | None] = mapped_column(Text)
    answer_file_id: Mapped[str | None] = mapped_column(String(256))
    answer_file_kind: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    followup_asked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    followup_answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    followup_comment: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("appeals.id", ondelete="SET NULL")
    )
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    # The e-petition that missed its threshold and so is considered as this appeal (Art. 23-1);
    # unique: one appeal per petition, whatever races close it.
    petition_id: Mapped[int | None] = mapped_column(
        ForeignKey("petitions.id", ondelete="SET NULL"), unique=True
    )

    attachments: Mapped[list[AppealAttachment]] = relationship(
        back_populates="appeal",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="AppealAttachment.position",
        lazy="selectin",
    )


class AppealEvent(Base):
    """The history of an appeal: every status change, with its reason and new deadline."""

    __tablename__ = "appeal_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(
        ForeignKey("appeals.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(String(64))
    new_deadline: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AppealAttachment(Base):
    """A photo or document sent with an appeal (at most three), kept as a Telegram file id."""

    __tablename__ = "appeal_attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(
        ForeignKey("appeals.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    file_id: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(16))
    mime: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)

    appeal: Mapped[Appeal] = relationship(back_populates="attachments")


# An appeal draft is a `Draft` row of kind "appeal" (services/drafts.py keeps all dialogs'
# drafts in one table); the name stays for the code that speaks of appeal drafts.
AppealDraft = Draft


class AppealSupporter(Base):
    """A resident who backs an appeal instead of filing a duplicate; told of its progress."""

    __tablename__ = "appeal_supporters"
    __table_args__ = (UniqueConstraint("appeal_id", "resident_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(
        ForeignKey("appeals.id", ondelete="CASCADE"), index=True
    )
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
