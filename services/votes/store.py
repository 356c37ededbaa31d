"""Writing parsed sessions, agenda items and votes: plan the whole file first, then write.

A file is checked completely (references, deputies, published sessions) before anything of
it is written, so a refused file leaves nothing behind. New votes and their roll calls are
buffered across files and written in bulk (Core executemany), which is what makes a year of
files import quickly; changed votes are rare and written at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.votes.formats.records import (
    ParsedConvocation,
    ParsedEvent,
    ParsedFile,
    ParsedItem,
    ParsedSession,
)
from services.votes.models import (
    EVENTS_TABLE,
    AgendaItem,
    Convocation,
    SessionStatus,
    VoteEvent,
    VoteSession,
)
from services.votes.normalize import fold
from services.votes.report import ImportProblem, ProblemList
from services.votes.resolve import DeputyDirectory
from services.votes.rolls import CastRow, RollWriter, resolve_roll, roll_digest
from services.votes.tallies import evaluate

FLUSH_ROWS = 20_000


@dataclass(slots=True)
class SessionInfo:
    id: int | None
    status: str
    date_from: Any
    date_until: Any
    events: dict[str, EventInfo] | None = None  # loaded on first use


@dataclass(slots=True)
class EventInfo:
    id: int | None
    content_hash: str
    roll_hash: str | None


@dataclass(slots=True)
class ItemInfo:
    id: int | None
    session_key: str
    title: str
    number: str | None
    held_on: Any


@dataclass(slots=True)
class FileOutcome:
    votes_new: int = 0
    votes_updated: int = 0
    votes_unchanged: int = 0
    votes_flagged: int = 0
    convocations_new: int = 0
    sessions_new: int = 0
    items_new: int = 0
    roll_rows: int = 0
    new_deputies: list[str] = field(default_factory=list)


def _digest(*parts: object) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()


class EventStore:
    """Caches of one import: sessions, items and events by source key, and the write buffer."""

    def __init__(self, session: AsyncSession, directory: DeputyDirectory) -> None:
        self.db = session
        self.directory = directory
        self.sessions: dict[str, SessionInfo] = {}
        self.items: dict[str, ItemInfo] = {}
        self.convocations: dict[str, int] = {}
        self._convocation_values: dict[str, dict[str, Any]] = {}  # as written in this import
        self.rolls = RollWriter(session)
        self._buffer: list[tuple[SessionInfo, str, dict[str, Any], list[CastRow]]] = []
        self._buffered_rows = 0

    # ---- lookups -------------------------------------------------------------------------

    async def _load_sessions(self, keys: set[str]) -> None:
        missing = [k for k in keys if k not in self.sessions]
        for start in range(0, len(missing), 500):
            rows = await self.db.execute(select(
                VoteSession.source_key, VoteSession.id, VoteSession.status,
                VoteSession.date_from, VoteSession.date_until,
            ).where(VoteSession.source_key.in_(missing[start:start + 500])))
            for key, id_, status, date_from, date_until in rows:
                self.sessions[key] = SessionInfo(id_, status, date_from, date_until)

    async def _load_items(self, keys: set[str]) -> None:
        missing = [k for k in keys if k not in self.items]
        for start in range(0, len(missing), 500):
            rows = await self.db.execute(
                select(AgendaItem.source_key, AgendaItem.id, VoteSession.source_key,
                       AgendaItem.title, AgendaItem.number, AgendaItem.held_on)
                .join(VoteSession, VoteSession.id == AgendaItem.session_id)
                .where(AgendaItem.source_key.in_(missing[start:start + 500])))
            for key, id_, session_key, title, number, held_on in rows:
                self.items[key] = ItemInfo(id_, session_key, title, number, held_on)

    async def _events_of(self, info: SessionInfo) -> dict[str, EventInfo]:
        if info.events is None:
            info.events = {}
            if info.id is not None:
                rows = await self.db.execute(
                    select(VoteEvent.source_key, VoteEvent.id, VoteEvent.content_hash,
                           VoteEvent.roll_hash).where(VoteEvent.session_id == info.id))
                for key, id_, content_hash, roll_hash in rows:
                    info.events[key] = EventInfo(id_, content_hash, roll_hash)
        return info.events

    # ---- one file --------------------------------------------------------------------------

    async def apply(self, parsed: ParsedFile, source_name: str, *, create_deputies: bool
                    ) -> FileOutcome:
        """Check the file's sessions, items and votes, then write them (votes buffered)."""
        problems = ProblemList()
        await self._load_sessions({s.key for s in parsed.sessions}
                                  | {e.session_key for e in parsed.events if e.session_key}
                                  | {i.session_key for i in parsed.items})
        await self._load_items({i.key for i in parsed.items}
                               | {e.item_key for e in parsed.events if e.item_key})
        file_sessions = {s.key: s for s in parsed.sessions}
        file_items = {i.key: i for i in parsed.items}
        for item in parsed.items:
            if item.session_key not in file_sessions and item.session_key not in self.sessions:
                problems.add(ImportProblem("votes.error.unknown_ref", field="sessionUid",
                                           value=item.session_key.split(":", 1)[-1],
                                           where=item.where))
        file_convocations = {c.key for c in parsed.convocations}
        for s in parsed.sessions:
            key = s.convocation_key
            if key and key not in file_convocations and not await self._convocation_exists(key):
                problems.add(ImportProblem("votes.error.unknown_ref", field="convocationUid",
                                           value=key.split(":", 1)[-1], where=s.where))
        plans = []
        seen: dict[str, str] = {}
        for event in parsed.events:
            first = seen.setdefault(event.key, event.where)
            if first != event.where:
                problems.add(ImportProblem("votes.error.duplicate_vote", first=first,
                                           where=event.where))
                continue
            try:
                plans.append(await self._plan_event(event, file_sessions, file_items,
                                                    create_deputies, problems))
            except ImportProblem as problem:
                problems.add(problem.at(event.where))
        try:
            problems.raise_any()
        except BaseException:
            self.directory.abort_file()
            raise
        outcome = FileOutcome()
        outcome.new_deputies = await self.directory.accept_file(self.db)
        for convocation in parsed.convocations:
            outcome.convocations_new += await self._upsert_convocation(convocation)
        for s in parsed.sessions:
            outcome.sessions_new += await self._upsert_session(s)
        for item in parsed.items:
            outcome.items_new += await self._upsert_item(item)
        for plan in plans:
            await self._write_event(plan, source_name, outcome)
        return outcome

    async def _convocation_exists(self, key: str) -> bool:
        if key not in self.convocations:
            found = await self.db.scalar(select(Convocation.id).where(
                Convocation.source_key == key))
            if found is None:
                return False
            self.convocations[key] = found
        return True

    async def _plan_event(self, event: ParsedEvent, file_sessions: dict[str, ParsedSession],
                          file_items: dict[str, ParsedItem], create_deputies: bool,
                          problems: ProblemList) -> _Plan:
        item_key = event.item_key
        item: ParsedItem | ItemInfo | None = None
        if item_key is not None:
            item = file_items.get(item_key) or self.items.get(item_key)
            if item is None and event.session_key is None:
                raise ImportProblem("votes.error.unknown_ref", field="motionUid",
                                    value=item_key.split(":", 1)[-1])
        session_key = event.session_key or (item.session_key if item else None)
        assert session_key is not None
        info = self.sessions.get(session_key)
        if info is None:
            parsed_session = file_sessions.get(session_key)
            if parsed_session is None:
                raise ImportProblem("votes.error.unknown_ref", field="sessionUid",
                                    value=session_key.split(":", 1)[-1])
            info = self.sessions[session_key] = SessionInfo(
                None, SessionStatus.IMPORTED, parsed_session.date_from,
                parsed_session.date_until, {})
        held_on = event.held_on or (item.held_on if item else None) or info.date_from
        title = event.title or (item.title if item else "")
        columns: dict[str, Any] = {
            "source_key": event.key, "title": title,
            "item_title": event.item_title or (item.title if item and item.title != title
                                               else None),
            "item_number": event.item_number or (item.number if item else None),
            "project_number": event.project_number, "held_on": held_on,
            "started_at": event.started_at, "ended_at": event.ended_at,
            "sequence": event.sequence if event.sequence is not None else 0,
            "result": event.result.value if event.result else None,
            "result_raw": event.result_raw, "text_url": event.text_url,
            "text_file": event.text_file,
        }
        content_hash = _digest(session_key, item_key, tuple(columns.values()),
                               event.counts.as_tuple())
        roll_hash = roll_digest(event.roll) if event.roll is not None else None
        known = (await self._events_of(info)).get(event.key)
        kind = "new"
        if known is not None:
            same_roll = roll_hash is None or roll_hash == known.roll_hash
            kind = "unchanged" if known.content_hash == content_hash and same_roll else "update"
        roll: list[CastRow] | None = None
        if event.roll is not None and kind != "unchanged":
            roll = resolve_roll(self.directory, event.roll, create_deputies, problems)
        if kind != "unchanged" and info.status == SessionStatus.PUBLISHED:
            raise ImportProblem("votes.error.session_published")
        columns["search_text"] = fold(" ".join(
            p for p in (title, columns["item_title"], event.project_number) if p))
        columns["content_hash"] = content_hash
        return _Plan(kind, info, session_key, item_key, columns, event, roll, roll_hash, known)

    # ---- writes ----------------------------------------------------------------------------

    async def _upsert_convocation(self, c: ParsedConvocation) -> int:
        values = {"label": c.label, "date_from": c.date_from, "date_until": c.date_until,
                  "authority_name": c.authority_name, "authority_code": c.authority_code,
                  "katottg": c.katottg}
        given = {k: v for k, v in values.items() if v is not None}
        if await self._convocation_exists(c.key):
            if self._convocation_values.get(c.key) != given:
                await self.db.execute(update(Convocation).where(
                    Convocation.id == self.convocations[c.key]).values(**given))
                self._convocation_values[c.key] = given
            return 0
        self._convocation_values[c.key] = given
        self.convocations[c.key] = (await self.db.execute(
            insert(Convocation).values(source_key=c.key, **values)
            .returning(Convocation.id))).scalar_one()
        return 1

    async def _upsert_session(self, s: ParsedSession) -> int:
        info = self.sessions.get(s.key)
        convocation_id = self.convocations.get(s.convocation_key or "")
        if info is None or info.id is None:
            new_id = (await self.db.execute(insert(VoteSession).values(
                source_key=s.key, label=s.label, date_from=s.date_from, date_until=s.date_until,
                convocation_id=convocation_id).returning(VoteSession.id))).scalar_one()
            if info is None:
                self.sessions[s.key] = SessionInfo(new_id, SessionStatus.IMPORTED, s.date_from,
                                                   s.date_until, {})
            else:  # planned by this file's votes: they hold this very object
                info.id = new_id
            return 1
        if info.status != SessionStatus.PUBLISHED and (
            s.date_from < info.date_from or s.date_until > info.date_until
        ):
            info.date_from, info.date_until = (min(s.date_from, info.date_from),
                                               max(s.date_until, info.date_until))
            await self.db.execute(update(VoteSession).where(VoteSession.id == info.id).values(
                date_from=info.date_from, date_until=info.date_until))
        return 0

    async def _upsert_item(self, item: ParsedItem) -> int:
        session = self.sessions[item.session_key]
        values = {"session_id": session.id, "number": item.number, "title": item.title,
                  "classification": item.classification, "held_on": item.held_on,
                  "sources": item.sources, "sponsor_voting_id": item.sponsor_voting_id}
        known = self.items.get(item.key)
        if known is not None and known.id is not None:
            if session.status != SessionStatus.PUBLISHED:
                await self.db.execute(update(AgendaItem).where(AgendaItem.id == known.id)
                                      .values(**values))
            return 0
        new_id = (await self.db.execute(insert(AgendaItem).values(
            source_key=item.key, **values).returning(AgendaItem.id))).scalar_one()
        self.items[item.key] = ItemInfo(new_id, item.session_key, item.title, item.number,
                                        item.held_on)
        return 1

    async def _write_event(self, plan: _Plan, source_name: str, outcome: FileOutcome) -> None:
        if plan.kind == "unchanged":
            outcome.votes_unchanged += 1
            return
        info = plan.info
        assert info.id is not None
        item = self.items.get(plan.item_key or "")
        columns = dict(plan.columns, session_id=info.id,
                       agenda_item_id=item.id if item else None, source_file=source_name[:300])
        values = [c[2] for c in plan.roll] if plan.roll is not None else None
        if plan.kind == "new" or plan.roll is not None:
            evaluation = evaluate(plan.event.counts, values)
        else:  # a changed vote without a roll call in this file keeps the stored one
            evaluation = evaluate(plan.event.counts,
                                  await self.rolls.stored_values(plan.known_id))
        columns.update(evaluation.columns())
        outcome.votes_flagged += evaluation.needs_review
        if plan.roll is not None:
            columns["roll_size"] = len(plan.roll)
            columns["roll_hash"] = plan.roll_hash
            outcome.roll_rows += len(plan.roll)
        events = await self._events_of(info)
        if plan.kind == "new":
            outcome.votes_new += 1
            events[plan.event.key] = EventInfo(None, plan.columns["content_hash"], plan.roll_hash)
            columns.setdefault("roll_size", 0)
            columns.setdefault("roll_hash", None)
            self._buffer.append((info, plan.event.key, columns, plan.roll or []))
            self._buffered_rows += len(plan.roll or [])
            if self._buffered_rows >= FLUSH_ROWS:
                await self.flush()
            return
        outcome.votes_updated += 1
        if plan.known_id is None:  # the same vote came earlier in this import, still buffered
            await self.flush()
        event_id = plan.known_id
        assert event_id is not None
        columns["confirmed_by"] = columns["confirmed_at"] = None
        await self.db.execute(update(VoteEvent).where(VoteEvent.id == event_id).values(**columns))
        events[plan.event.key] = EventInfo(event_id, plan.columns["content_hash"],
                                           plan.roll_hash or events[plan.event.key].roll_hash)
        if plan.roll is not None:
            await self.rolls.replace(event_id, plan.roll)

    async def flush(self) -> None:
        """Write the buffered new votes and their roll calls in bulk."""
        if not self._buffer:
            return
        buffer, self._buffer, self._buffered_rows = self._buffer, [], 0
        table = EVENTS_TABLE
        # Ids come back with their unique keys: asking for them in parameter order instead
        # makes SQLAlchemy insert one row at a time on SQLite.
        returned = await self.db.execute(insert(table).returning(table.c.id, table.c.source_key),
                                         [columns for _, _, columns, _ in buffer])
        ids = dict((key, event_id) for event_id, key in returned)
        for info, key, _, _ in buffer:
            assert info.events is not None
            info.events[key].id = ids[key]
        await self.rolls.insert_many([(ids[key], rows) for _, key, _, rows in buffer])


@dataclass(slots=True)
class _Plan:
    kind: str  # "new", "update" or "unchanged"
    info: SessionInfo
    session_key: str
    item_key: str | None
    columns: dict[str, Any]
    event: ParsedEvent
    roll: list[CastRow] | None
    roll_hash: str | None
    known: EventInfo | None

    @property
    def known_id(self) -> int | None:
        return self.known.id if self.known else None
