"""What every parser produces: plain records with source keys, nothing from the database yet.

Keys name things by the identifiers the source published (`a29:` Annex 29 uids, `ev:` the
e-voting system's council + moment), so the importer can find them again on a re-import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum
from typing import NamedTuple

from services.votes.models import DecisionResult
from services.votes.report import Issue


class Rank(IntEnum):
    """Files of one import are processed in this order, so references resolve."""

    DEPUTIES = 0
    CONVOCATIONS = 1
    SESSIONS = 2
    ITEMS = 3
    EVENTS = 4
    ROLLS = 5


class RollRow(NamedTuple):
    """One roll-call row as published (a tuple: hundreds of thousands are built a year)."""

    place: str  # "row", "DPList item": with `number`, where the row is, for the report
    number: int
    name: str | None  # as printed; None when the source gives only an id
    voter_id: str | None  # the deputy's id in the voting system (Annex 30 votingIdentifier)
    value: str  # a VoteValue's value, as a plain string
    raw_value: str

    @property
    def where(self) -> str:
        return f"{self.place} {self.number}"


@dataclass(frozen=True, slots=True)
class Counts:
    """Published counts; None where the source does not give one."""

    for_: int | None = None
    against: int | None = None
    abstain: int | None = None
    not_voting: int | None = None
    absent: int | None = None

    def as_tuple(self) -> tuple[int | None, ...]:
        return (self.for_, self.against, self.abstain, self.not_voting, self.absent)

    @property
    def any(self) -> bool:
        return any(v is not None for v in self.as_tuple())


@dataclass(frozen=True, slots=True)
class ParsedConvocation:
    key: str
    label: str
    date_from: date | None = None
    date_until: date | None = None
    authority_name: str | None = None
    authority_code: str | None = None
    katottg: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedSession:
    key: str
    label: str
    date_from: date
    date_until: date
    convocation_key: str | None = None
    where: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedItem:
    key: str
    session_key: str
    title: str
    number: str | None = None
    classification: str | None = None
    held_on: date | None = None
    sources: str | None = None
    sponsor_voting_id: str | None = None
    where: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedEvent:
    """A vote event. `session_key` may be None when it comes from the agenda item."""

    key: str
    where: str
    title: str
    session_key: str | None
    item_key: str | None = None
    item_title: str | None = None
    item_number: str | None = None
    project_number: str | None = None
    held_on: date | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    sequence: int | None = None
    result: DecisionResult | None = None
    result_raw: str | None = None
    counts: Counts = Counts()
    text_url: str | None = None
    text_file: str | None = None
    # None: this file does not carry the roll call (Annex 29 keeps it in `vote`/`votings`).
    roll: tuple[RollRow, ...] | None = None


@dataclass(frozen=True, slots=True)
class ParsedRoll:
    """A roll call for an event described by another file (Annex 29 `vote`, `votings`)."""

    where: str
    event_uid: str
    # "event": `vote.uid` is a voteEvents uid; "motion": `votings.motionUid` is a motion uid.
    ref: str
    rows: tuple[RollRow, ...]


@dataclass(frozen=True, slots=True)
class ParsedDeputy:
    where: str
    family_name: str
    given_name: str | None
    patronymic: str | None
    external_id: str | None = None
    voting_id: str | None = None
    gender: int | None = None
    faction: str | None = None
    faction_post: str | None = None
    district: int | None = None
    party_name: str | None = None
    photo_url: str | None = None
    email: str | None = None
    telephone: str | None = None
    homepage: str | None = None
    opening_hours: str | None = None


@dataclass(slots=True)
class ParsedFile:
    kind: str
    rank: Rank
    convocations: list[ParsedConvocation] = field(default_factory=list)
    sessions: list[ParsedSession] = field(default_factory=list)
    items: list[ParsedItem] = field(default_factory=list)
    events: list[ParsedEvent] = field(default_factory=list)
    rolls: list[ParsedRoll] = field(default_factory=list)
    deputies: list[ParsedDeputy] = field(default_factory=list)
    # Things deliberately left out (test "Сигнальне" votes), reported as skipped.
    skipped: list[Issue] = field(default_factory=list)
