"""What residents look up: latest sessions, a decision card, decisions by words, deputies by
faction, by district or by name. Only published sessions are shown unless staff ask."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.errors import InvalidInput, NotFound
from services.votes.models import (
    EVENTS_TABLE,
    DecisionResult,
    Deputy,
    Faction,
    SessionStatus,
    VoteCast,
    VoteEvent,
    VoteSession,
    VoteValue,
)
from services.votes.normalize import fold, search_words
from services.votes.tallies import ORDER
from services.votes.views import (
    PAGE_SIZE,
    DecisionLine,
    DeputyRef,
    Page,
    VoteCounts,
    count_of,
    deputies_select,
    deputy_ref,
    page_bounds,
    page_of,
    result_of,
    sort_deputies,
    uk_sort_key,
)

# Newest first: by day, then by the order of votes within the day.
DECISION_ORDER = (VoteEvent.held_on.desc(), VoteEvent.sequence.desc(), VoteEvent.id.desc())


@dataclass(frozen=True, slots=True)
class SessionLine:
    id: int
    label: str
    date_from: date
    date_until: date
    published: bool
    votes: int
    adopted: int


@dataclass(frozen=True, slots=True)
class FactionVotes:
    """How one faction voted; `faction_id` None is deputies whose faction is not known."""

    faction_id: int | None
    name: str | None
    unaffiliated: bool
    counts: VoteCounts


@dataclass(frozen=True, slots=True)
class VoteGroup:
    value: VoteValue
    deputies: tuple[DeputyRef, ...]
    unnamed: int  # placeholder seats (`. ....`) with this vote


@dataclass(frozen=True, slots=True)
class DecisionCard:
    id: int
    title: str
    item_title: str | None
    item_number: str | None
    project_number: str | None
    session_id: int
    session_label: str
    held_on: date
    started_at: datetime | None
    result: DecisionResult | None  # as published; None when the source published none
    result_raw: str | None
    counts: VoteCounts
    counts_published: bool  # False: the counts are the roll call's, the source gave none
    roll_size: int
    factions: tuple[FactionVotes, ...]
    groups: tuple[VoteGroup, ...]  # For, Against, Abstained, Did not vote, Absent
    source_url: str | None
    source_file: str
    text_file: str | None
    published: bool
    needs_review: bool
    confirmed: bool


def _line(row: Any) -> DecisionLine:
    return DecisionLine(row.id, row.title, row.held_on, row.started_at, result_of(row.result),
                        row.for_count, row.against_count)


_LINE_COLUMNS = (VoteEvent.id, VoteEvent.title, VoteEvent.held_on, VoteEvent.started_at,
                 VoteEvent.result, VoteEvent.for_count, VoteEvent.against_count)


def _visible(stmt: Any, include_unpublished: bool) -> Any:
    if include_unpublished:
        return stmt
    return stmt.where(VoteSession.status == SessionStatus.PUBLISHED.value)


async def latest_sessions(db: AsyncSession, *, page: int = 0, page_size: int = PAGE_SIZE,
                          include_unpublished: bool = False) -> Page[SessionLine]:
    """Sessions, newest first, with how many votes each had and how many were adopted."""
    stmt = _visible(select(VoteSession.id), include_unpublished)
    total = await count_of(db, stmt)
    page, pages = page_bounds(total, page, page_size)
    adopted = func.sum(case((VoteEvent.result == DecisionResult.ADOPTED.value, 1), else_=0))
    rows = await db.execute(
        _visible(select(VoteSession.id, VoteSession.label, VoteSession.date_from,
                        VoteSession.date_until, VoteSession.status,
                        func.count(VoteEvent.id), adopted), include_unpublished)
        .outerjoin(VoteEvent, VoteEvent.session_id == VoteSession.id)
        .group_by(VoteSession.id)
        .order_by(VoteSession.date_from.desc(), VoteSession.id.desc())
        .offset(page * page_size).limit(page_size))
    items = tuple(SessionLine(r[0], r[1], r[2], r[3], r[4] == SessionStatus.PUBLISHED,
                              r[5], r[6] or 0) for r in rows)
    return Page(items, page, pages, total)


async def session_decisions(db: AsyncSession, session_id: int, *, page: int = 0,
                            page_size: int = PAGE_SIZE, include_unpublished: bool = False
                            ) -> Page[DecisionLine]:
    """The votes of one session in the order they were taken."""
    base = _visible(select(*_LINE_COLUMNS).join(VoteSession,
                                                VoteSession.id == VoteEvent.session_id),
                    include_unpublished).where(VoteEvent.session_id == session_id)
    total = await count_of(db, base)
    page, pages = page_bounds(total, page, page_size)
    rows = await db.execute(base.order_by(VoteEvent.held_on, VoteEvent.sequence, VoteEvent.id)
                            .offset(page * page_size).limit(page_size))
    return Page(tuple(_line(r) for r in rows), page, pages, total)


async def search_decisions(db: AsyncSession, query: str | None, *, page: int = 0,
                           page_size: int = PAGE_SIZE, include_unpublished: bool = False
                           ) -> Page[DecisionLine]:
    """Decisions whose title, agenda item or draft number contain every word (up to five,
    case-insensitive, ґ = г, apostrophes ignored), newest first."""
    words = search_words(query)
    if not words:
        raise InvalidInput("votes.error.search_empty")
    base = _visible(select(*_LINE_COLUMNS).join(VoteSession,
                                                VoteSession.id == VoteEvent.session_id),
                    include_unpublished)
    for word in words:
        base = base.where(VoteEvent.search_text.contains(word, autoescape=True))
    total = await count_of(db, base)
    page, pages = page_bounds(total, page, page_size)
    rows = await db.execute(base.order_by(*DECISION_ORDER).offset(page * page_size)
                            .limit(page_size))
    return Page(tuple(_line(r) for r in rows), page, pages, total)


async def decision_card(db: AsyncSession, event_id: int, *, include_unpublished: bool = False
                        ) -> DecisionCard:
    row = (await db.execute(
        select(*EVENTS_TABLE.c, VoteSession.label.label("session_label"),
               VoteSession.status.label("session_status"))
        .join(VoteSession, VoteSession.id == EVENTS_TABLE.c.session_id)
        .where(EVENTS_TABLE.c.id == event_id))).first()
    if row is None:
        raise NotFound("votes.error.decision_not_found")
    event, label, status = row, row.session_label, row.session_status
    published = status == SessionStatus.PUBLISHED
    if not published and not include_unpublished:
        raise NotFound("votes.error.decision_not_found")
    casts = (await db.execute(
        select(VoteCast.value, VoteCast.deputy_id, Deputy.full_name, Deputy.short_name,
               Deputy.district, Faction.id, Faction.name, Faction.is_unaffiliated)
        .outerjoin(Deputy, Deputy.id == VoteCast.deputy_id)
        .outerjoin(Faction, Faction.id == Deputy.faction_id)
        .where(VoteCast.event_id == event_id))).all()
    return DecisionCard(
        id=event.id, title=event.title, item_title=event.item_title,
        item_number=event.item_number, project_number=event.project_number,
        session_id=event.session_id, session_label=label, held_on=event.held_on,
        started_at=event.started_at, result=result_of(event.result),
        result_raw=event.result_raw,
        counts=VoteCounts(event.for_count, event.against_count, event.abstain_count,
                          event.not_voting_count, event.absent_count),
        counts_published=event.counts_published, roll_size=event.roll_size,
        factions=_by_faction(casts), groups=_groups(casts), source_url=event.text_url,
        source_file=event.source_file, text_file=event.text_file, published=published,
        needs_review=event.needs_review, confirmed=event.confirmed_at is not None,
    )


def _by_faction(casts: Sequence[Any]) -> tuple[FactionVotes, ...]:
    tallies: dict[int | None, list[int]] = {}
    names: dict[int | None, tuple[str | None, bool]] = {}
    for value, deputy_id, *_, faction_id, faction_name, unaffiliated in casts:
        if deputy_id is None:
            continue
        tallies.setdefault(faction_id, [0] * 5)[ORDER.index(VoteValue(value))] += 1
        names[faction_id] = (faction_name, bool(unaffiliated))
    lines = [FactionVotes(fid, names[fid][0], names[fid][1], VoteCounts(*t))
             for fid, t in tallies.items()]
    # Factions by size, the unaffiliated and the unknown after them.
    lines.sort(key=lambda f: (f.faction_id is None, f.unaffiliated, -f.counts.total,
                              uk_sort_key(f.name or "")))
    return tuple(lines)


def _groups(casts: Sequence[Any]) -> tuple[VoteGroup, ...]:
    groups = []
    for value in ORDER:
        deputies = [DeputyRef(c[1], c[2], c[3], c[6], c[4]) for c in casts
                    if c[0] == value and c[1] is not None]
        unnamed = sum(1 for c in casts if c[0] == value and c[1] is None)
        groups.append(VoteGroup(value, tuple(sort_deputies(deputies)), unnamed))
    return tuple(groups)


# ---- deputies ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FactionLine:
    id: int
    name: str
    unaffiliated: bool
    deputies: int


async def factions(db: AsyncSession) -> tuple[FactionLine, ...]:
    """Factions with their deputies, largest first; the unaffiliated last."""
    rows = await db.execute(
        select(Faction.id, Faction.name, Faction.is_unaffiliated, func.count(Deputy.id))
        .join(Deputy, Deputy.faction_id == Faction.id).group_by(Faction.id))
    lines = [FactionLine(*r) for r in rows]
    lines.sort(key=lambda f: (f.unaffiliated, -f.deputies, uk_sort_key(f.name)))
    return tuple(lines)


async def faction_deputies(db: AsyncSession, faction_id: int, *, page: int = 0,
                           page_size: int = PAGE_SIZE) -> Page[DeputyRef]:
    rows = await db.execute(deputies_select().where(Deputy.faction_id == faction_id))
    return page_of(sort_deputies([deputy_ref(r) for r in rows]), page, page_size)


async def districts(db: AsyncSession) -> tuple[tuple[int, int], ...]:
    """(electoral district number, deputies elected there), by number."""
    rows = await db.execute(select(Deputy.district, func.count(Deputy.id))
                            .where(Deputy.district.is_not(None))
                            .group_by(Deputy.district).order_by(Deputy.district))
    return tuple((r[0], r[1]) for r in rows)


async def district_deputies(db: AsyncSession, district: int) -> tuple[DeputyRef, ...]:
    rows = await db.execute(deputies_select().where(Deputy.district == district))
    return tuple(sort_deputies([deputy_ref(r) for r in rows]))


async def search_deputies(db: AsyncSession, query: str | None, *, page: int = 0,
                          page_size: int = PAGE_SIZE) -> Page[DeputyRef]:
    """Deputies whose name contains every word typed (any case, ґ = г, apostrophes and dots
    ignored, Latin look-alike letters read as Cyrillic), in Ukrainian alphabetical order."""
    words = search_words(query)
    if not words:
        raise InvalidInput("votes.error.search_empty")
    stmt = deputies_select()
    for word in words:
        stmt = stmt.where(Deputy.search_key.contains(word, autoescape=True))
    refs = [deputy_ref(r) for r in await db.execute(stmt)]
    # Surname matches first: "Ковал" finds Коваленко before Іваненко Ковалівну.
    first = fold(words[0])
    refs.sort(key=lambda d: (not fold(d.name).startswith(first), uk_sort_key(d.name), d.id))
    return page_of(refs, page, page_size)


async def deputy_of(db: AsyncSession, deputy_id: int) -> DeputyRef:
    """One deputy's name, faction and district; NotFound when there is no such deputy."""
    row = (await db.execute(deputies_select().where(Deputy.id == deputy_id))).first()
    if row is None:
        raise NotFound("votes.error.deputy_not_found")
    return deputy_ref(row)
