"""Tables of the subscriptions + events feature: topics a resident follows, council events
(livestreams, press conferences), "remind me" requests and who has been told about an event."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, utcnow
from services.models.core import BigId


class Topic(StrEnum):
    LIVESTREAM_PLENARY = "livestream_plenary"
    LIVESTREAM_EXECUTIVE = "livestream_executive"
    PRESS_CONFERENCE = "press_conference"
    PETITION_RESULTS = "petition_results"
    CONSULTATIONS = "consultations"
    COUNCIL_VOTES = "council_votes"
    CITY_NEWS = "city_news"


# Offered to every new resident at the end of onboarding.
POPULAR_TOPICS: tuple[Topic, ...] = (
    Topic.LIVESTREAM_PLENARY,
    Topic.PETITION_RESULTS,
    Topic.CITY_NEWS,
)


class EventKind(StrEnum):
    PLENARY = "plenary"
    EXECUTIVE = "executive"
    PRESS_CONFERENCE = "press_conference"

    @property
    def topic(self) -> Topic:
        return {
            EventKind.PLENARY: Topic.LIVESTREAM_PLENARY,
            EventKind.EXECUTIVE: Topic.LIVESTREAM_EXECUTIVE,
            EventKind.PRESS_CONFERENCE: Topic.PRESS_CONFERENCE,
        }[self]


class EventStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Subscription(Base):
    """A resident hears about one topic."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("resident_id", "topic"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    topic: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Event(Base):
    """A livestream or press conference; `version` grows when its start time moves."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    stream_url: Mapped[str | None] = mapped_column(String(500))
    place: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.SCHEDULED)
    version: Mapped[int] = mapped_column(Integer, default=1)
    changes: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class EventReminderRequest(Base):
    """"Remind me" for one event, from a resident who may not follow its topic."""

    __tablename__ = "event_reminder_requests"
    __table_args__ = (UniqueConstraint("event_id", "resident_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EventNotified(Base):
    """Who has been told about an event, so a change or cancellation reaches them too."""

    __tablename__ = "event_notified"
    __table_args__ = (UniqueConstraint("event_id", "resident_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
