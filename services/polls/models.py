"""Tables of consultation polls: the poll, its options, each resident's one answer and its
chosen options, and the results chart drawn once when the poll closes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, utcnow

# Same as services.models.core.BigId; not imported from there, because services.models
# imports this module while it is itself being imported.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class PollStatus(StrEnum):
    DRAFT = "draft"  # being previewed by its moderator; nobody else sees it
    PUBLISHED = "published"  # open between opens_at and closes_at
    CLOSED = "closed"


class Poll(Base):
    """One consultation; `version` grows with every edit, so a stale card cannot answer."""

    __tablename__ = "polls"
    __table_args__ = (Index("ix_polls_status_closes_at", "status", "closes_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    question: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    max_choices: Mapped[int] = mapped_column(SmallInteger, default=1)
    # Names from DISTRICTS; empty: the whole city.
    districts: Mapped[list[str]] = mapped_column(JSON, default=list)
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    results_while_open: Mapped[bool] = mapped_column(Boolean, default=False)
    announce: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default=PollStatus.DRAFT)
    version: Mapped[int] = mapped_column(Integer, default=1)
    answer_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(80))  # None: closed on schedule
    # Set by the one scheduler that announced the opening / sent the results.
    opened_announced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    results_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def restricted(self) -> bool:
        return bool(self.districts)


class PollOption(Base):
    __tablename__ = "poll_options"
    __table_args__ = (UniqueConstraint("poll_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(String(100))


class PollAnswer(Base):
    """A verified resident's one answer to a poll, whatever channel it came from."""

    __tablename__ = "poll_answers"
    __table_args__ = (UniqueConstraint("poll_id", "resident_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    # The resident's district when they answered: what the anonymised export shows.
    district: Mapped[str | None] = mapped_column(String(64))
    # Always given: the channel the resident used (services.models.Channel).
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PollChoice(Base):
    """One option chosen in an answer (several for a multiple-choice poll)."""

    __tablename__ = "poll_choices"
    __table_args__ = (
        UniqueConstraint("answer_id", "option_id"),
        Index("ix_poll_choices_poll_option", "poll_id", "option_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("poll_answers.id", ondelete="CASCADE"))
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    option_id: Mapped[int] = mapped_column(ForeignKey("poll_options.id", ondelete="CASCADE"))


class PollChart(Base):
    """The results chart of a closed poll, drawn once; `file_ids` keeps each channel's upload
    (Telegram's file_id) so the picture is uploaded once, not once per recipient."""

    __tablename__ = "poll_charts"

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    png: Mapped[bytes] = mapped_column(LargeBinary)
    file_ids: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    drawn_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
