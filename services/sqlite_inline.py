"""A short write transaction on SQLite run on the event loop's thread, or not at all.

Through aiosqlite each statement and the commit is a hop to the connection's thread and back
(~85 us of CPU a hop on the benchmark machine, against ~11 us for a statement itself), under
the async session's own layers: a signature (counter, insert, commit) cost ~1 ms so. Here
the same SQLAlchemy statements run on a synchronous connection of their own in the loop's
thread. `BEGIN IMMEDIATE` takes SQLite's write lock at once or fails at once (timeout 0:
the loop never waits for a lock), and with the lock held in WAL mode no statement waits
for anything. The caller then does the work through its session instead. SQLite's own
checkpoints stay on (every ~1,000 pages of WAL, a few hundred signatures): left to the
pool's connections alone, a burst of nothing but signatures would grow the WAL unbounded.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import StaticPool

from services.db import has_writes

__all__ = ["InlineWriter", "inline_writer", "writer_for"]


def _connected(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun below, not by sqlite3
    for pragma in ("foreign_keys=ON", "synchronous=NORMAL"):
        dbapi_connection.execute(f"PRAGMA {pragma}")


def _begin_immediately(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class InlineWriter:
    """One synchronous connection to a SQLite file, used from the loop's thread only and
    never across an `await` (so two transactions of it never interleave)."""

    def __init__(self, path: str) -> None:
        self.engine = create_engine(
            f"sqlite:///{path}", poolclass=StaticPool,
            connect_args={"timeout": 0, "check_same_thread": False})
        event.listen(self.engine, "connect", _connected)
        event.listen(self.engine, "begin", _begin_immediately)

    def begin(self) -> Connection | None:
        """A connection holding the write lock, or None when another connection has it."""
        connection = self.engine.connect()
        try:
            connection.begin()
        except OperationalError:
            connection.close()
            return None
        return connection


_writers: weakref.WeakKeyDictionary[Engine, InlineWriter | None] = weakref.WeakKeyDictionary()


def inline_writer(session: AsyncSession) -> InlineWriter | None:
    """The writer for the session's SQLite file; None on PostgreSQL or a database in memory,
    and while the session has written (what it wrote must commit with what follows)."""
    if has_writes(session):
        return None
    return writer_for(session.get_bind().engine)


def writer_for(engine: Engine) -> InlineWriter | None:
    """The writer beside `engine` (made at the first call), or None where there is none."""
    try:
        return _writers[engine]
    except KeyError:
        pass
    url = engine.url
    path = url.database
    usable = (url.get_backend_name() == "sqlite" and path not in (None, "", ":memory:")
              and not path.startswith("file:"))  # a URI (shared memory in tests): keep it
    writer = _writers[engine] = InlineWriter(path) if usable and path else None
    return writer
