"""Engine, sessions and the declarative base shared by every model."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import MetaData, event, inspect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapper,
    ORMExecuteState,
    Session,
    make_transient_to_detached,
)
from sqlalchemy.orm.attributes import instance_dict, set_committed_value

# A fixed naming convention keeps Alembic's batch mode on SQLite and diffs on PostgreSQL stable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


_Model = TypeVar("_Model", bound=Base)
_T = TypeVar("_T")


def utcnow() -> datetime:
    """Timezone-aware now; stored as UTC everywhere, shown in the council's time zone."""
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine for SQLite (WAL, busy timeout, foreign keys) or PostgreSQL."""
    if url.startswith("sqlite"):
        # SQLite has one writer, so a few connections (each a thread under aiosqlite) serve
        # as well as many and keep memory down.
        kwargs.setdefault("pool_size", 4)
        kwargs.setdefault("max_overflow", 2)
        if url.startswith("sqlite+aiosqlite"):
            from services.sqlite_driver import dbapi

            kwargs.setdefault("module", dbapi())  # one thread hop per statement
        engine = create_async_engine(url, connect_args={"timeout": 15}, **kwargs)
        # aiosqlite's default (pysqlite) mode starts a transaction at the first write only, so
        # reads never hold a snapshot and writers queue on busy_timeout instead of deadlocking.
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


class TrackingSession(Session):
    """A session that remembers whether it wrote anything, so read-only work skips COMMIT."""


@event.listens_for(TrackingSession, "do_orm_execute")
def _note_statement_write(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["wrote"] = True


@event.listens_for(TrackingSession, "after_flush")
def _note_flush_write(session: Session, _context: Any) -> None:
    session.info["wrote"] = True


def has_writes(session: AsyncSession) -> bool:
    sync = session.sync_session
    return bool(sync.info.get("wrote") or sync.new or sync.dirty or sync.deleted)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=TrackingSession)


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session that commits on success and rolls back on any error."""
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def committed(session: AsyncSession, work: Awaitable[_T],
                    roll_back_on: type[BaseException]) -> _T:
    """`work`'s result once the session committed it; on `roll_back_on`, rolled back first."""
    try:
        result = await work
    except roll_back_on:
        await session.rollback()
        raise
    await session.commit()
    return result


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def is_postgres(session: AsyncSession) -> bool:
    return dialect_name(session) == "postgresql"


def _ignoring_classes(dml: Any) -> tuple[type[Any], type[Any]]:
    """A dialect's INSERT and a bare ON CONFLICT DO NOTHING that may be cached: the clause
    has no target and no WHERE, nothing that varies, so its cache key is its class alone."""
    clause = type("BareDoNothing", (dml.OnConflictDoNothing,),
                  {"_traverse_internals": [], "inherit_cache": True})
    insert = type("InsertIgnoringConflicts", (dml.Insert,), {"inherit_cache": True})
    return insert, clause


@cache
def _ignoring(dialect: str) -> tuple[type[Any], type[Any]]:
    # The PostgreSQL dialect is loaded on first use: a SQLite deployment never needs it.
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import dml
    else:
        from sqlalchemy.dialects.sqlite import dml  # type: ignore[no-redef]
    return _ignoring_classes(dml)


def insert_ignoring_conflicts(session: AsyncSession, table: Any) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING` for the session's dialect (SQLite or PostgreSQL).

    Uniqueness rules (one signature per person, one run of a daily job) are enforced by
    constraints; this lets a service try the insert and learn from `RETURNING` whether it won.
    SQLAlchemy 2.0's dialect INSERTs opt out of its statement cache (their ON CONFLICT
    clauses have no cache key), so each one was compiled anew, ~0.3 ms a signature; this one
    carries a clause that has one.
    """
    insert, clause = _ignoring("postgresql" if is_postgres(session) else "sqlite")
    statement = insert(table)
    statement._post_values_clause = clause()  # what on_conflict_do_nothing() sets
    return statement


_write_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


@asynccontextmanager
async def write_turn(session: AsyncSession) -> AsyncIterator[None]:
    """On SQLite, let one write transaction of this process run at a time (until commit).

    SQLite has one writer; concurrent writers otherwise sleep in its busy handler (1, 2, 5 …
    100 ms), which under a rush (of signatures, say) costs far more than waiting in this
    queue. Correctness never depends on it: constraints and conditional UPDATEs do that.
    """
    if is_postgres(session):
        yield
        return
    # Hold a connection before queueing for the turn: a holder still waiting for one would
    # wait for ever behind queued sessions that each hold one of SQLite's few connections
    # (a sender's heartbeat taking the turn during a rush of presses did exactly that).
    await session.connection()
    loop = asyncio.get_running_loop()
    lock = _write_turns.get(loop)
    if lock is None:
        lock = _write_turns[loop] = asyncio.Lock()
    async with lock:
        yield


@cache
def _loading(model: type[Any]) -> tuple[Mapper[Any], tuple[str, ...]]:
    mapper = inspect(model)
    return mapper, tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)


@cache
def loaded_columns(model: type[Any]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """A model's attribute keys and their columns, in one order: a whole row to select or
    return with Core and attach with `attach_row`."""
    attrs = inspect(model).column_attrs
    return tuple(attr.key for attr in attrs), tuple(attr.columns[0] for attr in attrs)


def attach_row(session: AsyncSession, model: type[_Model], values: Sequence[Any]) -> _Model:
    """`attach_loaded` for the values of `loaded_columns(model)`, in that order."""
    return attach_loaded(session, model, dict(zip(loaded_columns(model)[0], values,
                                                  strict=True)))


def attach_loaded(session: AsyncSession, model: type[_Model], values: Mapping[str, Any]
                  ) -> _Model:
    """`values` (a row just read or returned, keyed by attribute) as a persistent instance in
    this session, built as the ORM's loading builds one: no constructor, no attribute events.
    An instance of that row the session holds already gets the values instead."""
    mapper, primary_key = _loading(model)
    held = session.identity_map.get(
        mapper.identity_key_from_primary_key(tuple(values[name] for name in primary_key)))
    if held is not None:
        for name, value in values.items():
            set_committed_value(held, name, value)
        return cast(_Model, held)
    instance = mapper.class_manager.new_instance()
    instance_dict(instance).update(values)
    make_transient_to_detached(instance)
    session.add(instance)
    return cast(_Model, instance)
