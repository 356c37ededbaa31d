"""Roll calls: rows matched to deputies, duplicates refused, and bulk writes of the casts.

Also the Annex 29 roll-call resources (`vote`, `votings`), which arrive in their own file
and attach to vote events imported before.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.votes.formats.records import Counts, ParsedFile, ParsedRoll, RollRow
from services.votes.models import (
    CASTS_TABLE,
    AgendaItem,
    SessionStatus,
    VoteCast,
    VoteEvent,
    VoteSession,
)
from services.votes.report import ImportProblem, ProblemList
from services.votes.resolve import DeputyDirectory, KnownDeputy
from services.votes.tallies import evaluate


def roll_digest(rows: tuple[RollRow, ...]) -> str:
    """A fingerprint of a roll call as published (names, ids, raw values, in order)."""
    text = "\x1e".join(f"{r.name}\x1f{r.voter_id}\x1f{r.raw_value}" for r in rows)
    return hashlib.sha1(text.encode()).hexdigest()


# A roll-call row ready to write: (position, deputy or None for a placeholder seat, value,
# raw value, raw name). Plain tuples: one is made for each of ~500,000 rows a year.
CastRow = tuple[int, "KnownDeputy | None", str, str, "str | None"]
_UNSEEN: Any = object()


def resolve_roll(directory: DeputyDirectory, rows: tuple[RollRow, ...], create: bool,
                 problems: ProblemList) -> list[CastRow]:
    """Match every row to a deputy; unknown names and a deputy listed twice are problems."""
    known = directory.resolved  # the cache, read directly: this runs for every row
    found = [known.get((row.voter_id, row.name), _UNSEEN) for row in rows]
    for i, deputy in enumerate(found):
        if deputy is _UNSEEN:
            row = rows[i]
            try:
                found[i] = directory.resolve(row, create)
            except ImportProblem as problem:
                problems.add(problem.at(row.where), once=(problem.key, row.voter_id, row.name))
                found[i] = None
    named = [id(d) for d in found if d is not None]
    if len(set(named)) != len(named):
        _report_duplicates(rows, found, problems)
    return [(n, deputy, row.value, row.raw_value, row.name)
            for n, (row, deputy) in enumerate(zip(rows, found, strict=True), 1)]


def _report_duplicates(rows: tuple[RollRow, ...], found: list[Any], problems: ProblemList
                       ) -> None:
    first: dict[int, RollRow] = {}
    for row, deputy in zip(rows, found, strict=True):
        if deputy is None:
            continue
        earlier = first.setdefault(id(deputy), row)
        if earlier is not row:
            problems.add(ImportProblem("votes.error.duplicate_deputy", name=deputy.name.display,
                                       first=earlier.where, where=row.where))


class RollWriter:
    def __init__(self, session: AsyncSession) -> None:
        self.db = session

    @staticmethod
    def _rows(event_id: int, rows: list[CastRow]) -> list[dict[str, Any]]:
        return [{"event_id": event_id, "position": position,
                 "deputy_id": deputy.id if deputy else None, "value": value,
                 "raw_value": raw_value, "raw_name": raw_name}
                for position, deputy, value, raw_value, raw_name in rows]

    async def insert_many(self, rolls: list[tuple[int, list[CastRow]]]) -> None:
        values = [row for event_id, rows in rolls for row in self._rows(event_id, rows)]
        if values:
            await self.db.execute(insert(CASTS_TABLE), values)

    async def replace(self, event_id: int, rows: list[CastRow]) -> None:
        await self.db.execute(delete(VoteCast).where(VoteCast.event_id == event_id))
        await self.insert_many([(event_id, rows)])

    async def stored_values(self, event_id: int | None) -> list[str] | None:
        if event_id is None:
            return None
        values = list(await self.db.scalars(select(VoteCast.value).where(
            VoteCast.event_id == event_id)))
        return values or None


@dataclass(slots=True)
class _Target:
    id: int
    status: str
    roll_hash: str | None
    counts: Counts


async def _targets(db: AsyncSession, rolls: list[ParsedRoll]) -> dict[tuple[str, str], Any]:
    """The vote event of each roll: by `voteEvents.uid`, `motions2.uid`, or the only vote of a
    `motions.uid`. Values are a _Target, or an ImportProblem saying why there is none."""
    columns = (VoteEvent.id, VoteSession.status, VoteEvent.roll_hash, VoteEvent.counts_published,
               VoteEvent.for_count, VoteEvent.against_count, VoteEvent.abstain_count,
               VoteEvent.not_voting_count, VoteEvent.absent_count)

    def target(row: Any) -> _Target:
        counts = Counts(*row[5:10]) if row.counts_published else Counts()
        return _Target(row.id, row.status, row.roll_hash, counts)

    wanted = {("a29e:" if r.ref == "event" else "a29m:") + r.event_uid: r for r in rolls}
    found: dict[tuple[str, str], Any] = {}
    keys = list(wanted)
    for start in range(0, len(keys), 500):
        rows = await db.execute(select(VoteEvent.source_key, *columns)
                                .join(VoteSession, VoteSession.id == VoteEvent.session_id)
                                .where(VoteEvent.source_key.in_(keys[start:start + 500])))
        for row in rows:
            r = wanted[row.source_key]
            found[(r.ref, r.event_uid)] = target(row)
    for r in rolls:
        if (r.ref, r.event_uid) in found:
            continue
        if r.ref == "motion":
            matches = (await db.execute(
                select(VoteEvent.source_key, *columns)
                .join(VoteSession, VoteSession.id == VoteEvent.session_id)
                .join(AgendaItem, AgendaItem.id == VoteEvent.agenda_item_id)
                .where(AgendaItem.source_key == "a29:" + r.event_uid))).all()
            if len(matches) == 1:
                found[(r.ref, r.event_uid)] = target(matches[0])
                continue
            if len(matches) > 1:
                found[(r.ref, r.event_uid)] = ImportProblem(
                    "votes.error.motion_many_votes", value=r.event_uid, count=len(matches))
                continue
        field = "uid" if r.ref == "event" else "motionUid"
        found[(r.ref, r.event_uid)] = ImportProblem("votes.error.unknown_ref", field=field,
                                                    value=r.event_uid)
    return found


async def apply_roll_file(db: AsyncSession, directory: DeputyDirectory, parsed: ParsedFile,
                          *, create_deputies: bool) -> tuple[int, int, int, int, list[str]]:
    """Attach the roll calls of an Annex 29 `vote`/`votings` file to their vote events.

    Returns (updated, unchanged, flagged, rows written, new deputies); refuses the whole file
    on any unknown reference, deputy or a change to a published session.
    """
    problems = ProblemList()
    targets = await _targets(db, parsed.rolls)
    planned: list[tuple[_Target, list[CastRow], str]] = []
    unchanged = 0
    for roll in parsed.rolls:
        target = targets[(roll.ref, roll.event_uid)]
        if isinstance(target, ImportProblem):
            problems.add(target.at(roll.where))
            continue
        rows = resolve_roll(directory, roll.rows, create_deputies, problems)
        digest = roll_digest(roll.rows)
        if digest == target.roll_hash:
            unchanged += 1
        elif target.status == SessionStatus.PUBLISHED:
            problems.add(ImportProblem("votes.error.session_published", where=roll.where))
        else:
            planned.append((target, rows, digest))
    try:
        problems.raise_any()
    except BaseException:
        directory.abort_file()
        raise
    new_deputies = await directory.accept_file(db)
    writer = RollWriter(db)
    flagged = written = 0
    for target, rows, digest in planned:
        evaluation = evaluate(target.counts, [r[2] for r in rows])
        flagged += evaluation.needs_review
        written += len(rows)
        await db.execute(update(VoteEvent).where(VoteEvent.id == target.id).values(
            roll_size=len(rows), roll_hash=digest, confirmed_by=None, confirmed_at=None,
            **evaluation.columns()))
        await writer.replace(target.id, rows)
    return len(planned), unchanged, flagged, written, new_deputies
