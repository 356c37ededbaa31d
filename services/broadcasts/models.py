"""The table of press broadcasts: one announcement to a topic (optionally one district) or to
everyone, with its enqueueing cursor and its final figures."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, utcnow
from services.models.core import BigId, Channel


class BroadcastStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class Broadcast(Base):
    """A press announcement to a topic (optionally one district) or everyone."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    author: Mapped[str] = mapped_column(String(80))
    # Where the final report goes: the author's chat in the channel the broadcast came from.
    author_channel: Mapped[str] = mapped_column(String(16), default=Channel.TELEGRAM.value)
    author_chat_id: Mapped[str | None] = mapped_column(String(64))
    author_language: Mapped[str] = mapped_column(String(5), default="uk")
    text: Mapped[str] = mapped_column(Text)
    photo: Mapped[str | None] = mapped_column(String(512))
    topic: Mapped[str | None] = mapped_column(String(32))
    district: Mapped[str | None] = mapped_column(String(64))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=BroadcastStatus.SCHEDULED, index=True)
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Keyset cursor of the enqueueing (resident id), so a crash mid-way resumes, not restarts.
    enqueued_up_to: Mapped[int] = mapped_column(Integer, default=0)
    enqueue_done: Mapped[bool] = mapped_column(Boolean, default=False)
    total: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
