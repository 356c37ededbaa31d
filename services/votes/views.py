"""The frozen values the vote screens receive (pages, counts, deputies, decisions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.paging import Page, page_bounds
from services.votes.models import DecisionResult, Deputy, Faction, VoteValue

T = TypeVar("T")
PAGE_SIZE = 10

_UK_ALPHABET = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
_UK_ORDER = {ch: i for i, ch in enumerate(_UK_ALPHABET)}


def uk_sort_key(text: str) -> tuple[int, ...]:
    """Ukrainian alphabetical order (Є, І, Ї, Ґ in their places; apostrophes ignored)."""
    return tuple(_UK_ORDER.get(ch, 100 + ord(ch)) for ch in text.casefold() if ch not in "ʼ'’")




def page_of(items: Sequence[T], page: int, page_size: int) -> Page[T]:
    page, pages = page_bounds(len(items), page, page_size)
    start = page * page_size
    return Page(tuple(items[start:start + page_size]), page, pages, len(items))


async def count_of(db: AsyncSession, stmt: Any) -> int:
    return await db.scalar(select(func.count()).select_from(stmt.subquery())) or 0


@dataclass(frozen=True, slots=True)
class VoteCounts:
    for_: int
    against: int
    abstain: int
    not_voting: int
    absent: int

    @property
    def present(self) -> int:
        return self.for_ + self.against + self.abstain + self.not_voting

    @property
    def total(self) -> int:
        return self.present + self.absent

    def of(self, value: VoteValue) -> int:
        return {VoteValue.FOR: self.for_, VoteValue.AGAINST: self.against,
                VoteValue.ABSTAIN: self.abstain, VoteValue.NOT_VOTING: self.not_voting,
                VoteValue.ABSENT: self.absent}[value]


@dataclass(frozen=True, slots=True)
class Share:
    """`part` of `whole`; `percent` is None when there is nothing to divide."""

    part: int
    whole: int

    @property
    def percent(self) -> float | None:
        return None if self.whole == 0 else round(100 * self.part / self.whole, 1)


@dataclass(frozen=True, slots=True)
class DeputyRef:
    id: int
    name: str
    short_name: str
    faction: str | None
    district: int | None


def deputy_columns() -> tuple[Any, ...]:
    return (Deputy.id, Deputy.full_name, Deputy.short_name, Faction.name, Deputy.district)


def deputy_ref(row: Any) -> DeputyRef:
    return DeputyRef(row[0], row[1], row[2], row[3], row[4])


def deputies_select() -> Any:
    return select(*deputy_columns()).outerjoin(Faction, Faction.id == Deputy.faction_id)


def sort_deputies(refs: Sequence[DeputyRef]) -> list[DeputyRef]:
    return sorted(refs, key=lambda d: (uk_sort_key(d.name), d.id))


@dataclass(frozen=True, slots=True)
class DecisionLine:
    id: int
    title: str
    held_on: date
    started_at: datetime | None
    result: DecisionResult | None
    for_: int
    against: int


def result_of(raw: str | None) -> DecisionResult | None:
    return DecisionResult(raw) if raw else None
