"""A deputy's card (attendance, votes against their faction's majority, latest votes) and
the comparison of two deputies. Everything counts published sessions only.

The rules, as the card states them (`locales/*/votes.po`, keys in `RULES`):

* Attendance: of the roll-call votes a deputy is listed in, the share where they were in the
  hall, i.e. voted for, against, abstained or did not press a button ("did not vote" counts
  as present, "absent" does not).
* Against the faction's majority: only votes where the deputy was present and belongs to a
  faction (not «Позафракційні») count. The faction's position is "for" when more than half
  of its *other* members present voted for, and "not for" when more than half of them did
  not (against, abstained or did not vote); with exactly half, or no other member present,
  the vote does not count. The deputy voted against the majority when their own vote ("for"
  or "not for") differs. Factions are those of the latest deputies list.
* Agreement of two deputies: over the votes both cast (for, against or abstained; "did not
  vote" and absence are not votes cast), the share where both voted the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.errors import InvalidInput, NotFound
from services.votes.models import (
    CAST_VALUES,
    DecisionResult,
    Deputy,
    DeputyFollow,
    DeputySessionStats,
    Faction,
    SessionStatus,
    VoteCast,
    VoteEvent,
    VoteSession,
    VoteValue,
)
from services.votes.queries import DECISION_ORDER
from services.votes.views import (
    PAGE_SIZE,
    DeputyRef,
    Page,
    Share,
    count_of,
    deputies_select,
    deputy_ref,
    page_bounds,
    result_of,
)

RULES = {
    "attendance": "votes.rule.attendance",
    "against_faction": "votes.rule.against_faction",
    "agreement": "votes.rule.agreement",
}


@dataclass(frozen=True, slots=True)
class DeputyVoteLine:
    event_id: int
    title: str
    held_on: date
    value: VoteValue
    result: DecisionResult | None


@dataclass(frozen=True, slots=True)
class DeputyCard:
    deputy: DeputyRef
    given_name: str | None
    patronymic: str | None
    unaffiliated: bool
    faction_post: str | None
    party_name: str | None
    photo_url: str | None
    email: str | None
    telephone: str | None
    homepage: str | None
    opening_hours: str | None
    attendance: Share  # present / votes listed in; see the module docstring
    against_faction: Share | None  # against / votes that count; None outside any faction
    latest: tuple[DeputyVoteLine, ...]
    followers: int
    attendance_rule: str = RULES["attendance"]
    against_faction_rule: str = RULES["against_faction"]


def _published_casts(deputy_id: int, cast: Any = VoteCast) -> Any:
    return (select()
            .select_from(cast)
            .join(VoteEvent, VoteEvent.id == cast.event_id)
            .join(VoteSession, VoteSession.id == VoteEvent.session_id)
            .where(cast.deputy_id == deputy_id,
                   VoteSession.status == SessionStatus.PUBLISHED.value))


def _stat(column: Any, deputy_id: int) -> Any:
    return (select(func.coalesce(func.sum(column), 0))
            .where(DeputySessionStats.deputy_id == deputy_id).scalar_subquery())


_VOTE_LINE = (VoteEvent.id, VoteEvent.title, VoteEvent.held_on, VoteCast.value, VoteEvent.result)


def _vote_line(row: Any) -> DeputyVoteLine:
    return DeputyVoteLine(row[0], row[1], row[2], VoteValue(row[3]), result_of(row[4]))


async def deputy_votes(db: AsyncSession, deputy_id: int, *, page: int = 0,
                       page_size: int = PAGE_SIZE) -> Page[DeputyVoteLine]:
    """The deputy's votes, newest first."""
    base = _published_casts(deputy_id).add_columns(*_VOTE_LINE)
    total = await count_of(db, base)
    page, pages = page_bounds(total, page, page_size)
    rows = await db.execute(base.order_by(*DECISION_ORDER).offset(page * page_size)
                            .limit(page_size))
    return Page(tuple(_vote_line(r) for r in rows), page, pages, total)


async def deputy_card(db: AsyncSession, deputy_id: int, *, latest: int = 5) -> DeputyCard:
    """Two queries: the deputy with their precounted statistics, and their latest votes."""
    followers = (select(func.count()).select_from(DeputyFollow)
                 .where(DeputyFollow.deputy_id == deputy_id).scalar_subquery())
    row = (await db.execute(
        select(Deputy.id, Deputy.full_name, Deputy.short_name, Faction.name, Deputy.district,
               Deputy.given_name, Deputy.patronymic, Faction.is_unaffiliated,
               Deputy.faction_id, Deputy.faction_post, Deputy.party_name, Deputy.photo_url,
               Deputy.email, Deputy.telephone, Deputy.homepage, Deputy.opening_hours,
               followers,
               *(_stat(c, deputy_id) for c in (
                   DeputySessionStats.listed, DeputySessionStats.present,
                   DeputySessionStats.faction_counted, DeputySessionStats.faction_against)))
        .outerjoin(Faction, Faction.id == Deputy.faction_id)
        .where(Deputy.id == deputy_id))).first()
    if row is None:
        raise NotFound("votes.error.deputy_not_found")
    listed, present, counted, against = row[17:21]
    in_faction = row.faction_id is not None and not row.is_unaffiliated
    # The latest votes lie in the deputy's latest sessions: look only there.
    recent_sessions = (
        select(DeputySessionStats.session_id)
        .join(VoteSession, VoteSession.id == DeputySessionStats.session_id)
        .where(DeputySessionStats.deputy_id == deputy_id)
        .order_by(VoteSession.date_until.desc(), VoteSession.id.desc()).limit(latest))
    # Walk those sessions' votes by the (session, day, order) index and look the deputy's
    # vote up in each, rather than reading all their votes of the year and sorting them.
    mine = (select(VoteCast.value).where(VoteCast.event_id == VoteEvent.id,
                                         VoteCast.deputy_id == deputy_id)
            .correlate(VoteEvent).scalar_subquery())
    recent = await db.execute(
        select(VoteEvent.id, VoteEvent.title, VoteEvent.held_on, mine, VoteEvent.result)
        .where(VoteEvent.session_id.in_(recent_sessions), mine.is_not(None))
        .order_by(*DECISION_ORDER).limit(latest))
    return DeputyCard(
        deputy=deputy_ref(row), given_name=row.given_name, patronymic=row.patronymic,
        unaffiliated=bool(row.is_unaffiliated), faction_post=row.faction_post,
        party_name=row.party_name, photo_url=row.photo_url, email=row.email,
        telephone=row.telephone, homepage=row.homepage, opening_hours=row.opening_hours,
        attendance=Share(present, listed),
        against_faction=Share(against, counted) if in_faction else None,
        latest=tuple(_vote_line(r) for r in recent), followers=row[16],
    )


@dataclass(frozen=True, slots=True)
class DifferenceLine:
    event_id: int
    title: str
    held_on: date
    first: VoteValue
    second: VoteValue
    result: DecisionResult | None


@dataclass(frozen=True, slots=True)
class Comparison:
    first: DeputyRef
    second: DeputyRef
    agreement: Share  # same votes / votes both cast; see the module docstring
    differences: Page[DifferenceLine]  # the votes both cast, differently, newest first
    rule: str = RULES["agreement"]


async def compare_deputies(db: AsyncSession, first_id: int, second_id: int, *, page: int = 0,
                           page_size: int = PAGE_SIZE) -> Comparison:
    if first_id == second_id:
        raise InvalidInput("votes.error.compare_same")
    refs = {r[0]: deputy_ref(r) for r in await db.execute(
        deputies_select().where(Deputy.id.in_([first_id, second_id])))}
    if len(refs) != 2:
        raise NotFound("votes.error.deputy_not_found")
    other = aliased(VoteCast)
    cast = [v.value for v in CAST_VALUES]
    both = (_published_casts(first_id)
            .join(other, and_(other.event_id == VoteCast.event_id,
                              other.deputy_id == second_id))
            .where(VoteCast.value.in_(cast), other.value.in_(cast)))
    same = func.sum(case((VoteCast.value == other.value, 1), else_=0))
    total, agreed = (await db.execute(both.add_columns(func.count(), same))).one()
    differ = both.where(VoteCast.value != other.value).add_columns(
        VoteEvent.id, VoteEvent.title, VoteEvent.held_on, VoteCast.value, other.value,
        VoteEvent.result)
    count = await count_of(db, differ)
    page, pages = page_bounds(count, page, page_size)
    rows = await db.execute(differ.order_by(*DECISION_ORDER).offset(page * page_size)
                            .limit(page_size))
    lines = tuple(DifferenceLine(r[0], r[1], r[2], VoteValue(r[3]), VoteValue(r[4]),
                                 result_of(r[5])) for r in rows)
    return Comparison(refs[first_id], refs[second_id], Share(agreed or 0, total or 0),
                      Page(lines, page, pages, count))
