"""`ProfileCache`: a per-process memory of who is behind a messenger account.

Every update starts by asking "which resident is this?". On SQLite each query costs several
thread hops (aiosqlite), more than the rest of handling a menu tap, while profiles change
rarely. The cache keeps the loaded columns and re-attaches a copy to the update's session
without SQL. Any write to residents or identities in this process (ORM flush or bulk
statement) bumps a generation that invalidates every entry, and a commit bumps it again so
a copy read while that write was in flight is dropped too.

A batch of updates (a burst of taps after a broadcast: mostly residents this process has not
seen for a while) can be looked up ahead in one query (`prefetch`) instead of one per update.

It also keeps the set of accounts that have a profile at all, so a stranger's first /start
costs no query. New identities flushed in this process are added as they appear; a bulk
insert or update of identities makes every cache reload the set.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from services.db import TrackingSession, attach_loaded, loaded_columns
from services.models import ChannelIdentity, Resident
from services.residents.core import by_identity

_PROFILE_TABLES = frozenset({"residents", "channel_identities"})
_generation = 0
_accounts_generation = 0
_live_caches: weakref.WeakSet[ProfileCache] = weakref.WeakSet()


def _bump(session: Session) -> None:
    global _generation
    _generation += 1
    session.info["profiles_touched"] = True


@event.listens_for(TrackingSession, "after_flush")
def _profiles_flushed(session: Session, _context: Any) -> None:
    touched = False
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Resident | ChannelIdentity):
            touched = True
        if isinstance(obj, ChannelIdentity) and obj in session.new:
            for cache in _live_caches:
                cache.note_account(obj.channel, obj.external_id)
    if touched:
        _bump(session)


@event.listens_for(TrackingSession, "do_orm_execute")
def _profiles_written(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        name = getattr(table, "name", None)
        if name in _PROFILE_TABLES:
            _bump(state.session)
        if name == "channel_identities" and not state.is_delete:
            global _accounts_generation
            _accounts_generation += 1


@event.listens_for(TrackingSession, "after_commit")
def _profiles_committed(session: Session) -> None:
    if session.info.pop("profiles_touched", False):
        global _generation
        _generation += 1


_COLUMNS, _RESIDENT_COLUMNS = loaded_columns(Resident)
# The profiles behind many accounts of one messenger, as plain rows (Core: no ORM objects to
# build and throw away, the cache keeps the values only).
_BY_IDENTITIES = (
    select(ChannelIdentity.external_id, *_RESIDENT_COLUMNS)
    .join(Resident, Resident.id == ChannelIdentity.resident_id)
    .where(ChannelIdentity.channel == bindparam("channel"),
           ChannelIdentity.external_id.in_(bindparam("external_ids", expanding=True)))
)


class ProfileCache:
    """`by_identity` with a per-process memory; only for one-process (SQLite) deployments."""

    def __init__(self, enabled: bool = True, max_entries: int = 50_000, ttl: float = 60.0) -> None:
        self.enabled = enabled
        self.max_entries = max_entries
        self.ttl = ttl
        self._entries: dict[tuple[str, str], tuple[int, float, dict[str, Any] | None]] = {}
        self._accounts: set[tuple[str, str]] | None = None
        self._accounts_loaded_at = -1
        self._added_while_loading: set[tuple[str, str]] | None = None
        self._load_lock = asyncio.Lock()  # one load at a time, however many updates ask
        _live_caches.add(self)

    def note_account(self, channel: str, external_id: str) -> None:
        key = (channel, external_id)
        if self._accounts is not None:
            self._accounts.add(key)
        if self._added_while_loading is not None:
            self._added_while_loading.add(key)

    async def _has_account(self, session: AsyncSession, key: tuple[str, str]) -> bool:
        """False only when the account surely has no profile; True means "look it up"."""
        if self._accounts is None or self._accounts_loaded_at != _accounts_generation:
            async with self._load_lock:
                return await self._load_accounts(session, key)
        return key in self._accounts

    async def _load_accounts(self, session: AsyncSession, key: tuple[str, str]) -> bool:
        if self._accounts is not None and self._accounts_loaded_at == _accounts_generation:
            return key in self._accounts  # another update loaded it while this one waited
        generation = _accounts_generation
        added: set[tuple[str, str]] = set()
        self._added_while_loading = added
        try:
            rows = await session.execute(
                select(ChannelIdentity.channel, ChannelIdentity.external_id))
            loaded = {(channel, external_id) for channel, external_id in rows}
        finally:
            self._added_while_loading = None
        if generation != _accounts_generation:  # a bulk write raced the load: no verdict
            self._accounts = None
            return True
        self._accounts = loaded | added
        self._accounts_loaded_at = generation
        return key in self._accounts

    async def prefetch(self, session: AsyncSession, channel: str,
                       external_ids: Iterable[str]) -> int:
        """Look up ahead, in one query, the profiles of these accounts that are not cached
        fresh; returns how many were asked for."""
        if not self.enabled:
            return 0
        now = time.monotonic()
        wanted: list[str] = []
        for external_id in dict.fromkeys(external_ids):
            key = (channel, external_id)
            if self._fresh(key, now) is not None:
                continue
            if await self._has_account(session, key):
                wanted.append(external_id)
        if not wanted:
            return 0
        generation = _generation
        rows = (await session.execute(
            _BY_IDENTITIES, {"channel": channel, "external_ids": wanted})).all()
        if generation != _generation:  # a write raced the read: leave it to `lookup`
            return len(wanted)
        found = {row[0]: dict(zip(_COLUMNS, row[1:], strict=True)) for row in rows}
        for external_id in wanted:
            self._store((channel, external_id), generation, now, found.get(external_id))
        return len(wanted)

    def _fresh(self, key: tuple[str, str], now: float
               ) -> tuple[int, float, dict[str, Any] | None] | None:
        """The kept entry, unless a write since or its age made it stale."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] == _generation and now - entry[1] < self.ttl:
            return entry
        return None

    def _store(self, key: tuple[str, str], generation: int, now: float,
               values: dict[str, Any] | None) -> None:
        self._entries.pop(key, None)
        self._entries[key] = (generation, now, values)
        if len(self._entries) > self.max_entries:
            self._entries.pop(next(iter(self._entries)))

    async def lookup(self, session: AsyncSession, channel: str,
                     external_id: str) -> Resident | None:
        if not self.enabled:
            return await by_identity(session, channel, external_id)
        key = (channel, external_id)
        if not await self._has_account(session, key):
            return None
        now = time.monotonic()
        entry = self._fresh(key, now)
        if entry is not None:
            return _attach(session, entry[2])
        generation = _generation
        resident = await by_identity(session, channel, external_id)
        values = None if resident is None else {c: getattr(resident, c) for c in _COLUMNS}
        if generation == _generation:
            self._store(key, generation, now, values)
        return resident


def _attach(session: AsyncSession, values: dict[str, Any] | None) -> Resident | None:
    """A persistent copy in this session, as if just loaded, without asking the database."""
    # As the ORM's loading builds an instance: no constructor, no attribute events (a third
    # of the attach otherwise, on every update of a known resident).
    return None if values is None else attach_loaded(session, Resident, values)
