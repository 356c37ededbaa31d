"""Residents, their channel identities, staff roles, the audit log and the job tables."""

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
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.db import Base, utcnow

# BigInteger ids on PostgreSQL, but INTEGER PRIMARY KEY (rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Channel(StrEnum):
    TELEGRAM = "telegram"
    VIBER = "viber"
    # `python -m bot chat`: a resident (or staff member) typing in a terminal.
    TERMINAL = "terminal"


class Role(StrEnum):
    MODERATOR = "moderator"
    PRESS = "press"
    ADMIN = "admin"


class Resident(Base):
    """One person, whatever messenger they write from; keyed by the verified phone."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    language: Mapped[str] = mapped_column(String(5), default="uk")
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    phone_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Keyed hash (HMAC-SHA256) of the verified phone; outlives /forget and a number handed on,
    # so one phone number stays one person for signatures. Not unique: erased profiles share it.
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    street: Mapped[str | None] = mapped_column(String(200))
    building: Mapped[str | None] = mapped_column(String(50))
    # One of DISTRICTS: derived from the address, or chosen by the resident (None: unknown).
    district: Mapped[str | None] = mapped_column(String(64), index=True)
    # When the resident was asked for their district (answered or "don't know"): asked once.
    district_asked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    quiet_from: Mapped[int | None] = mapped_column(SmallInteger)
    quiet_to: Mapped[int | None] = mapped_column(SmallInteger)
    notifications_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The messenger of the resident's latest update: notifications go there alone, unless
    # `notify_every_channel` (a setting) or it is unknown (None: profiles from before).
    last_channel: Mapped[str | None] = mapped_column(String(16))
    notify_every_channel: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    forgotten_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    identities: Mapped[list[ChannelIdentity]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_verified(self) -> bool:
        return self.phone_verified_at is not None

    @property
    def has_address(self) -> bool:
        return bool(self.street and self.building)

    @property
    def is_complete(self) -> bool:
        """Consented, verified, named and addressed: what the law needs to hear an appeal."""
        return bool(self.consent_at and self.is_verified and self.full_name and self.has_address)

    @property
    def address(self) -> str:
        return ", ".join(part for part in (self.street, self.building) if part)


class ChannelIdentity(Base):
    """A resident's account in one messenger (a Telegram user id, a Viber user id)."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(64))
    is_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    resident: Mapped[Resident] = relationship(back_populates="identities")


class StaffRole(Base):
    """A staff role held by a messenger account (granted before or after it onboards)."""

    __tablename__ = "staff_roles"
    __table_args__ = (UniqueConstraint("channel", "external_id", "role"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    granted_by: Mapped[str] = mapped_column(String(80))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffRoleVersion(Base):
    """One row counting changes to `staff_roles`: every process compares it to its cache."""

    __tablename__ = "staff_role_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class AuditEntry(Base):
    """Who did what to what, and when: every staff action lands here."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor: Mapped[str] = mapped_column(String(80), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class TaskStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ScheduledTask(Base):
    """A one-off piece of deferred work, claimed by exactly one scheduler tick."""

    __tablename__ = "scheduled_tasks"
    __table_args__ = (Index("ix_scheduled_tasks_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AppSecret(Base):
    """A random secret the application made for itself once (e.g. the phone-hash key)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Counter(Base):
    """A named sequence (appeal numbers of a year, petition numbers), bumped under a row lock."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class PeriodicRun(Base):
    """Marks that a periodic job ran for a period (e.g. a day), so only one process runs it."""

    __tablename__ = "periodic_runs"
    __table_args__ = (UniqueConstraint("name", "period_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    period_key: Mapped[str] = mapped_column(String(32))
    ran_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
