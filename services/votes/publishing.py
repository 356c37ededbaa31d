"""A session's way from imported to published, staff only.

Votes whose published counts disagree with their roll call are held back: the session cannot
be published until staff confirm each of them. Publishing is a compare-and-set, so two staff
pressing "publish" at once publish (and announce) it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit
from services.db import utcnow
from services.errors import Conflict, InvalidInput, NotFound
from services.votes.access import Actor, require_staff
from services.votes.models import (
    Deputy,
    DeputyFollow,
    SessionStatus,
    VoteCast,
    VoteEvent,
    VoteSession,
)
from services.votes.queries import SessionLine, session_decisions
from services.votes.tallies import refresh_session_stats
from services.votes.views import DecisionLine, DeputyRef, deputies_select, deputy_ref


@dataclass(frozen=True, slots=True)
class FlaggedVote:
    event_id: int
    title: str
    published: tuple[int, ...]  # for, against, abstained, did not vote, absent
    roll_call: tuple[int, ...]
    confirmed: bool


@dataclass(frozen=True, slots=True)
class SessionState:
    id: int
    label: str
    date_from: date
    date_until: date
    published: bool
    published_at: datetime | None
    votes: int
    flagged: int
    unconfirmed: int

    @property
    def can_publish(self) -> bool:
        return not self.published and self.votes > 0 and self.unconfirmed == 0


@dataclass(frozen=True, slots=True)
class FollowerNotice:
    resident_id: int
    deputies: tuple[DeputyRef, ...]  # followed deputies listed in this session's roll calls


@dataclass(frozen=True, slots=True)
class Announcement:
    """What to tell once a session is published (the notifications are wired elsewhere)."""

    session: SessionLine
    decisions: tuple[DecisionLine, ...]
    followers: tuple[FollowerNotice, ...]


def _unconfirmed(session_id: int) -> object:
    return exists().where(VoteEvent.session_id == session_id, VoteEvent.needs_review.is_(True),
                          VoteEvent.confirmed_at.is_(None))


async def session_state(db: AsyncSession, session_id: int) -> SessionState:
    session = (await db.execute(
        select(VoteSession.id, VoteSession.label, VoteSession.date_from,
               VoteSession.date_until, VoteSession.status, VoteSession.published_at)
        .where(VoteSession.id == session_id))).first()
    if session is None:
        raise NotFound("votes.error.session_not_found")
    flagged = VoteEvent.needs_review.is_(True)
    unconfirmed_now = and_(flagged, VoteEvent.confirmed_at.is_(None))
    votes, flagged_n, unconfirmed = (await db.execute(
        select(func.count(VoteEvent.id), func.sum(case((flagged, 1), else_=0)),
               func.sum(case((unconfirmed_now, 1), else_=0)))
        .where(VoteEvent.session_id == session_id))).one()
    return SessionState(session.id, session.label, session.date_from, session.date_until,
                        session.status == SessionStatus.PUBLISHED, session.published_at,
                        votes or 0, flagged_n or 0, unconfirmed or 0)


async def flagged_votes(db: AsyncSession, session_id: int) -> tuple[FlaggedVote, ...]:
    """The votes of a session whose counts disagreed with the roll call, in vote order."""
    rows = await db.execute(
        select(VoteEvent.id, VoteEvent.title, VoteEvent.review_note, VoteEvent.confirmed_at)
        .where(VoteEvent.session_id == session_id, VoteEvent.needs_review.is_(True))
        .order_by(VoteEvent.held_on, VoteEvent.sequence, VoteEvent.id))
    return tuple(FlaggedVote(r[0], r[1], tuple((r[2] or {}).get("published", ())),
                             tuple((r[2] or {}).get("roll_call", ())), r[3] is not None)
                 for r in rows)


async def confirm_vote(db: AsyncSession, actor: Actor, event_id: int, *,
                       now: datetime | None = None) -> bool:
    """Staff confirm a flagged vote as published; False when it was confirmed already."""
    await require_staff(db, actor)
    event = (await db.execute(select(VoteEvent.needs_review, VoteEvent.review_note)
                              .where(VoteEvent.id == event_id))).first()
    if event is None:
        raise NotFound("votes.error.decision_not_found")
    if not event.needs_review:
        raise InvalidInput("votes.error.not_flagged")
    won = (await db.execute(
        update(VoteEvent)
        .where(VoteEvent.id == event_id, VoteEvent.confirmed_at.is_(None))
        .values(confirmed_at=now or utcnow(), confirmed_by=actor.key)
        .returning(VoteEvent.id))).first()
    if won is None:
        return False
    await audit.record(db, actor.key, "votes.confirm", "vote_event", event_id,
                       note=event.review_note)
    return True


async def publish_session(db: AsyncSession, actor: Actor, session_id: int, *,
                          now: datetime | None = None) -> Announcement:
    """Mark the session published, exactly once, and return what to announce.

    Raises Conflict when it is already published, InvalidInput while a flagged vote is
    unconfirmed or when it has no votes, PermissionDenied for non-staff.
    """
    await require_staff(db, actor)
    now = now or utcnow()
    has_votes = exists().where(VoteEvent.session_id == session_id)
    won = (await db.execute(
        update(VoteSession)
        .where(VoteSession.id == session_id,
               VoteSession.status == SessionStatus.IMPORTED.value,
               has_votes, ~_unconfirmed(session_id))  # type: ignore[operator]
        .values(status=SessionStatus.PUBLISHED.value, published_at=now,
                published_by=actor.key)
        .returning(VoteSession.id))).first()
    if won is None:
        state = await session_state(db, session_id)
        if state.published:
            raise Conflict("votes.error.already_published")
        if state.votes == 0:
            raise InvalidInput("votes.error.nothing_to_publish")
        raise InvalidInput("votes.error.unconfirmed_votes", count=state.unconfirmed)
    await refresh_session_stats(db, session_id)
    await audit.record(db, actor.key, "votes.publish", "vote_session", session_id)
    return await _announcement(db, session_id)


async def _announcement(db: AsyncSession, session_id: int) -> Announcement:
    state = await session_state(db, session_id)
    decisions: list[DecisionLine] = []
    page = 0
    while True:
        chunk = await session_decisions(db, session_id, page=page, page_size=200,
                                        include_unpublished=True)
        decisions.extend(chunk.items)
        if not chunk.has_next:
            break
        page += 1
    adopted_rows = await db.scalar(select(func.count()).select_from(VoteEvent).where(
        VoteEvent.session_id == session_id, VoteEvent.result == "adopted")) or 0
    voted = (select(VoteCast.deputy_id).join(VoteEvent, VoteEvent.id == VoteCast.event_id)
             .where(VoteEvent.session_id == session_id).distinct())
    rows = await db.execute(
        deputies_select().add_columns(DeputyFollow.resident_id)
        .join(DeputyFollow, DeputyFollow.deputy_id == Deputy.id)
        .where(Deputy.id.in_(voted))
        .order_by(DeputyFollow.resident_id, Deputy.id))
    by_resident: dict[int, list[DeputyRef]] = {}
    for row in rows:
        by_resident.setdefault(row[-1], []).append(deputy_ref(row))
    line = SessionLine(state.id, state.label, state.date_from, state.date_until, True,
                       state.votes, adopted_rows)
    return Announcement(line, tuple(decisions), tuple(
        FollowerNotice(rid, tuple(refs)) for rid, refs in by_resident.items()))


async def waiting_sessions(db: AsyncSession) -> int:
    """How many imported sessions are not published yet."""
    return await db.scalar(select(func.count()).select_from(VoteSession).where(
        VoteSession.status == SessionStatus.IMPORTED.value)) or 0
