"""Counts from a roll call, the check against the published counts, and the deputies'
per-session statistics the cards read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.votes.formats.records import Counts
from services.votes.models import (
    Deputy,
    DeputySessionStats,
    Faction,
    SessionStatus,
    VoteCast,
    VoteEvent,
    VoteSession,
    VoteValue,
)

ORDER = (VoteValue.FOR, VoteValue.AGAINST, VoteValue.ABSTAIN, VoteValue.NOT_VOTING,
         VoteValue.ABSENT)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What an event stores: its counts, whether they were published, and the review flag."""

    counts: tuple[int, int, int, int, int]
    counts_published: bool
    needs_review: bool
    note: dict[str, Any] | None

    def columns(self) -> dict[str, Any]:
        f, a, ab, nv, ad = self.counts
        return {"for_count": f, "against_count": a, "abstain_count": ab, "not_voting_count": nv,
                "absent_count": ad, "counts_published": self.counts_published,
                "needs_review": self.needs_review, "review_note": self.note}


def roll_tallies(values: Iterable[str]) -> tuple[int, int, int, int, int]:
    counter = Counter(values)
    return (counter[VoteValue.FOR], counter[VoteValue.AGAINST], counter[VoteValue.ABSTAIN],
            counter[VoteValue.NOT_VOTING], counter[VoteValue.ABSENT])


def evaluate(published: Counts, roll: Sequence[str] | None) -> Evaluation:
    """Published counts win; a roll call that disagrees with any of them flags the event.

    Without published counts the roll call's tallies are stored (and nothing is flagged).
    A count the source does not publish (Kyiv gives no absent count) is taken from the roll.
    """
    tallies = roll_tallies(roll) if roll is not None else (0, 0, 0, 0, 0)
    if not published.any:
        return Evaluation(tallies, False, False, None)
    given = published.as_tuple()
    counts = tuple(g if g is not None else t for g, t in zip(given, tallies, strict=True))
    mismatch = roll is not None and any(
        g is not None and g != t for g, t in zip(given, tallies, strict=True)
    )
    note = ({"published": list(counts), "roll_call": list(tallies)} if mismatch else None)
    return Evaluation(counts, True, mismatch, note)  # type: ignore[arg-type]


def _stats_select(sessions: Any) -> Any:
    """Per deputy and session: listed, present, and the against-faction counts (the rule is
    in `services.votes.stats`), for the sessions `sessions` selects."""
    absent, for_ = VoteValue.ABSENT.value, VoteValue.FOR.value
    member = aliased(Deputy)
    present_one = case((VoteCast.value != absent, 1), else_=0)
    # How each faction voted in each event: members present, members voting "for".
    tally = (
        select(VoteCast.event_id, member.faction_id, func.sum(present_one).label("present"),
               func.sum(case((VoteCast.value == for_, 1), else_=0)).label("voted_for"))
        .join(member, member.id == VoteCast.deputy_id)
        .join(VoteEvent, VoteEvent.id == VoteCast.event_id)
        .where(member.faction_id.is_not(None), VoteEvent.session_id.in_(sessions))
        .group_by(VoteCast.event_id, member.faction_id)
        .subquery()
    )
    mine_for = case((VoteCast.value == for_, 1), else_=0)
    others_present = tally.c.present - 1
    others_for = tally.c.voted_for - mine_for
    counted = and_(tally.c.present.is_not(None), VoteCast.value != absent, others_present > 0,
                   others_for * 2 != others_present)
    against = and_(counted, or_(and_(mine_for == 1, others_for * 2 < others_present),
                                and_(mine_for == 0, others_for * 2 > others_present)))
    return (
        select(VoteCast.deputy_id, VoteEvent.session_id, func.count(), func.sum(present_one),
               func.sum(case((counted, 1), else_=0)), func.sum(case((against, 1), else_=0)))
        .join(VoteEvent, VoteEvent.id == VoteCast.event_id)
        .join(Deputy, Deputy.id == VoteCast.deputy_id)
        .outerjoin(Faction, Faction.id == Deputy.faction_id)
        .outerjoin(tally, and_(tally.c.event_id == VoteCast.event_id,
                               tally.c.faction_id == Deputy.faction_id,
                               Faction.is_unaffiliated.is_(False)))
        .where(VoteEvent.session_id.in_(sessions))
        .group_by(VoteCast.deputy_id, VoteEvent.session_id)
    )


_COLUMNS = ["deputy_id", "session_id", "listed", "present", "faction_counted",
            "faction_against"]


async def refresh_session_stats(session: AsyncSession, session_id: int) -> None:
    """Count the deputies' statistics of one (just published) session."""
    await session.execute(delete(DeputySessionStats).where(
        DeputySessionStats.session_id == session_id))
    await session.execute(insert(DeputySessionStats).from_select(
        _COLUMNS, _stats_select(select(literal(session_id)))))


async def rebuild_all_stats(session: AsyncSession) -> None:
    """Recount every published session (after deputies changed faction)."""
    published = select(VoteSession.id).where(
        VoteSession.status == SessionStatus.PUBLISHED.value)
    await session.execute(delete(DeputySessionStats))
    await session.execute(insert(DeputySessionStats).from_select(
        _COLUMNS, _stats_select(published)))
