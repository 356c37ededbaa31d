"""Drafts of multi-step dialogs (appeals, petitions, events, broadcasts) in one table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, utcnow
from services.models.core import BigId


class Draft(Base):
    """One dialog in progress per owner and kind: never registered until it is claimed.

    A resident owns appeal and petition drafts (any of the person's accounts continues them);
    a staff account owns its event and broadcast drafts. `version` grows with every change, so
    submitting can be a compare-and-set. `dialog_state` is the FSM state the dialog stood in for
    `dialog_account` (None once that account left the dialog): a restart brings it back.
    """

    __tablename__ = "drafts"
    __table_args__ = (
        UniqueConstraint("resident_id", "kind"),
        UniqueConstraint("account", "kind"),
        Index("ix_drafts_dialog_account", "dialog_account"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE")
    )
    account: Mapped[str | None] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    dialog_state: Mapped[str | None] = mapped_column(String(64))
    dialog_account: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
