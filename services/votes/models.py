"""Tables of the council votes: factions, deputies, convocations, sessions, agenda items,
vote events, each deputy's vote, per-faction tallies and residents following deputies.

Every imported thing carries a `source_key` built from the published identifiers, so a
re-import finds what it imported before instead of adding it again.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, utcnow

# Same as services.models.core.BigId; not imported from there, because services.models
# imports this module while it is itself being imported.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class VoteValue(StrEnum):
    """A deputy's vote as the standard names them.

    За, Проти, Утримався, Не голосував (present, no button pressed), Відсутній.
    """

    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"
    NOT_VOTING = "not_voting"
    ABSENT = "absent"


PRESENT_VALUES = (VoteValue.FOR, VoteValue.AGAINST, VoteValue.ABSTAIN, VoteValue.NOT_VOTING)
CAST_VALUES = (VoteValue.FOR, VoteValue.AGAINST, VoteValue.ABSTAIN)


class DecisionResult(StrEnum):
    """The outcome as published (Прийнято, Не прийнято, Не голосували, Не розглядали)."""

    ADOPTED = "adopted"
    NOT_ADOPTED = "not_adopted"
    NOT_VOTED = "not_voted"
    NOT_CONSIDERED = "not_considered"


class SessionStatus(StrEnum):
    IMPORTED = "imported"
    PUBLISHED = "published"


class Faction(Base):
    """A faction of the council; one row marks the deputies outside any faction."""

    __tablename__ = "vote_factions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(300), unique=True)
    is_unaffiliated: Mapped[bool] = mapped_column(Boolean, default=False)


class Deputy(Base):
    """A deputy (or the head of the council, who votes too), from Annex 30 or a roll call."""

    __tablename__ = "vote_deputies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Annex 30 `id` (certificate number) and `votingIdentifier` (id in the e-voting system).
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    voting_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    family_name: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str | None] = mapped_column(String(100))
    patronymic: Mapped[str | None] = mapped_column(String(100))
    full_name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str] = mapped_column(String(200))
    # Surname + initials, casefolded: how a roll call's "Прізвище І. Б." finds the deputy.
    name_key: Mapped[str] = mapped_column(String(200))
    full_key: Mapped[str | None] = mapped_column(String(300))
    search_key: Mapped[str] = mapped_column(String(300))
    faction_id: Mapped[int | None] = mapped_column(ForeignKey("vote_factions.id"), index=True)
    faction_post: Mapped[str | None] = mapped_column(String(200))
    district: Mapped[int | None] = mapped_column(Integer, index=True)
    party_name: Mapped[str | None] = mapped_column(String(300))
    gender: Mapped[int | None] = mapped_column(SmallInteger)
    photo_url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(300))
    telephone: Mapped[str | None] = mapped_column(String(100))
    homepage: Mapped[str | None] = mapped_column(String(500))
    opening_hours: Mapped[str | None] = mapped_column(String(300))
    # "annex30" once a deputies list described them, "roll_call" while known by name only.
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Convocation(Base):
    __tablename__ = "vote_convocations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_key: Mapped[str] = mapped_column(String(300), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    date_from: Mapped[date | None] = mapped_column(Date)
    date_until: Mapped[date | None] = mapped_column(Date)
    authority_name: Mapped[str | None] = mapped_column(String(300))
    authority_code: Mapped[str | None] = mapped_column(String(16))
    katottg: Mapped[str | None] = mapped_column(String(32))


class VoteSession(Base):
    """A session (Annex 29) or a plenary day (e-voting files): the unit staff publish."""

    __tablename__ = "vote_sessions"
    __table_args__ = (Index("ix_vote_sessions_status_date", "status", "date_from"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_key: Mapped[str] = mapped_column(String(300), unique=True)
    convocation_id: Mapped[int | None] = mapped_column(ForeignKey("vote_convocations.id"))
    label: Mapped[str] = mapped_column(String(300))
    date_from: Mapped[date] = mapped_column(Date)
    date_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.IMPORTED)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AgendaItem(Base):
    """An agenda item (Annex 29 `motions`/`motions2`, or a named item of a session file)."""

    __tablename__ = "vote_agenda_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_key: Mapped[str] = mapped_column(String(300), unique=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("vote_sessions.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    classification: Mapped[str | None] = mapped_column(String(200))
    held_on: Mapped[date | None] = mapped_column(Date)
    sources: Mapped[str | None] = mapped_column(Text)
    sponsor_voting_id: Mapped[str | None] = mapped_column(String(64))


class VoteEvent(Base):
    """One vote taken: what was voted on, the published result and counts, and its audit trail.

    `result` and the counts are the published ones, never recomputed; when a roll call
    disagrees with the published counts the event `needs_review` and its session cannot be
    published until staff confirm it.
    """

    __tablename__ = "vote_events"
    __table_args__ = (
        # A session's votes in order, and the latest votes of a deputy (newest sessions first).
        Index("ix_vote_events_session_order", "session_id", "held_on", "sequence", "id"),
        Index("ix_vote_events_order", "held_on", "sequence", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_key: Mapped[str] = mapped_column(String(300), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("vote_sessions.id", ondelete="CASCADE"))
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("vote_agenda_items.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(Text)
    item_title: Mapped[str | None] = mapped_column(Text)
    item_number: Mapped[str | None] = mapped_column(String(32))
    project_number: Mapped[str | None] = mapped_column(String(64))
    held_on: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Order within the day: seconds since midnight for timed votes, else the item number.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str | None] = mapped_column(String(16))
    result_raw: Mapped[str | None] = mapped_column(String(100))
    for_count: Mapped[int] = mapped_column(Integer, default=0)
    against_count: Mapped[int] = mapped_column(Integer, default=0)
    abstain_count: Mapped[int] = mapped_column(Integer, default=0)
    not_voting_count: Mapped[int] = mapped_column(Integer, default=0)
    absent_count: Mapped[int] = mapped_column(Integer, default=0)
    # False: the source gave no counts, so they are the roll call's tallies.
    counts_published: Mapped[bool] = mapped_column(Boolean, default=False)
    roll_size: Mapped[int] = mapped_column(Integer, default=0)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    review_note: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    confirmed_by: Mapped[str | None] = mapped_column(String(80))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    text_url: Mapped[str | None] = mapped_column(String(1000))
    text_file: Mapped[str | None] = mapped_column(String(300))
    source_file: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(40))
    roll_hash: Mapped[str | None] = mapped_column(String(40))
    # Casefolded title, item title and draft number: word search on SQLite too.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class VoteCast(Base):
    """One row of a roll call: a seat's vote as normalised, with the published value kept.

    `deputy_id` is empty for the placeholder rows some systems print (`. ....`) for seats
    without a registered card; they still count in the tallies.
    """

    __tablename__ = "vote_casts"
    __table_args__ = (
        # One vote per deputy per event; also the deputy card's path to their votes.
        UniqueConstraint("deputy_id", "event_id"),
    )

    event_id: Mapped[int] = mapped_column(
        ForeignKey("vote_events.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("vote_deputies.id"))
    value: Mapped[str] = mapped_column(String(12))
    raw_value: Mapped[str] = mapped_column(String(40))
    raw_name: Mapped[str | None] = mapped_column(String(200))


class DeputySessionStats(Base):
    """Per deputy and published session: the counts behind the card's shares.

    `listed`: votes the deputy is on the roll call of; `present`: of those, not absent;
    `faction_counted`/`faction_against`: votes that count for, and go against, the faction's
    majority (rules in `services.votes.stats`). Written when a session is published, and
    recounted for every published session when deputies change faction.
    """

    __tablename__ = "vote_deputy_stats"

    deputy_id: Mapped[int] = mapped_column(
        ForeignKey("vote_deputies.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("vote_sessions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    listed: Mapped[int] = mapped_column(Integer)
    present: Mapped[int] = mapped_column(Integer)
    faction_counted: Mapped[int] = mapped_column(Integer)
    faction_against: Mapped[int] = mapped_column(Integer)


class DeputyFollow(Base):
    """A resident follows a deputy (to hear how they voted once a session is published)."""

    __tablename__ = "vote_follows"

    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )
    deputy_id: Mapped[int] = mapped_column(
        ForeignKey("vote_deputies.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DecisionPetition(Base):
    """Staff link a decision to the petition it answers, so its signers hear the result."""

    __tablename__ = "vote_petition_links"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("vote_events.id", ondelete="CASCADE"), primary_key=True
    )
    petition_id: Mapped[int] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), index=True
    )
    linked_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# The tables bulk writes go to (Core executemany, without the ORM's per-row work).
DEPUTIES_TABLE = cast(Table, Deputy.__table__)
EVENTS_TABLE = cast(Table, VoteEvent.__table__)
CASTS_TABLE = cast(Table, VoteCast.__table__)
