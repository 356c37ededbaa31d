"""The persistent outbox: one row per recipient per message."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, utcnow
from services.models.core import BigId


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


class Priority(IntEnum):
    """Lower goes first: a livestream starting now overtakes a queued bulk broadcast."""

    URGENT = 0
    NORMAL = 5
    BULK = 9


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_ready", "status", "priority", "not_before", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    photo: Mapped[str | None] = mapped_column(String(512))
    document: Mapped[str | None] = mapped_column(String(512))
    # Transport-neutral buttons: rows of {"text": ..., "url": ...} or {"text": ..., "callback": ...}
    buttons: Mapped[list[list[dict[str, Any]]] | None] = mapped_column(JSON)
    priority: Mapped[int] = mapped_column(SmallInteger, default=Priority.NORMAL)
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    broadcast_id: Mapped[int | None] = mapped_column(Integer, index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OutboxSender(Base):
    """A running outbox sender (one per process and bot), so processes split the bot's rate."""

    __tablename__ = "outbox_senders"
    __table_args__ = (Index("ix_outbox_senders_bot", "bot", "seen_until"),)

    name: Mapped[str] = mapped_column(String(96), primary_key=True)
    bot: Mapped[str] = mapped_column(String(64))
    # How many live senders this one paces itself for: it sends at the bot's rate / peers.
    peers: Mapped[int] = mapped_column(Integer, default=1)
    seen_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set by the sender that received a 429: every sender of the bot waits until then.
    paused_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
