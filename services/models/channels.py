"""What channels other than Telegram need stored: callbacks kept until handled, int aliases,
the keyboard each person was last shown."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, utcnow
from services.models.core import BigId


class InboundStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class InboundEvent(Base):
    """A callback a messenger posted to our webhook (signature checked), kept until handled.

    `dedupe_key` (Viber's message_token) is unique per channel, so a redelivered callback is
    never stored twice, whichever process receives it. One sender's rows are handled in the
    order they arrived (`sender` + `id`). The body is cleared once handled: what stays is the
    key that recognises a late duplicate.
    """

    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("channel", "dedupe_key"),
        Index("ix_inbound_events_queue", "channel", "status", "sender", "id"),
        # A claim walks the pending rows in arrival order and stops after a batch.
        Index("ix_inbound_events_ready", "channel", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=InboundStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                  index=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ChannelAlias(Base):
    """An integer standing in for a messenger's string user id (Viber's are base64 text), so
    code keyed on Telegram-style integer ids (dialog state, locks, throttling) serves it."""

    __tablename__ = "channel_aliases"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ChannelKeyboard(Base):
    """The keyboard a person was last shown, on a messenger that shows only the newest
    message's (Viber): a message sent without one, from whichever process, carries it again.
    `board` is the messenger's own keyboard as JSON; no row: none is shown."""

    __tablename__ = "channel_keyboards"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    board: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
