"""services.db.write_turn on SQLite: the turn is never held by a session that still waits for
a connection (bench/petition_signing.py and bench/poll_voting.py stalled on it)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from services.db import make_engine, make_sessionmaker, write_turn
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="write turns are SQLite's")


async def test_a_turn_taken_without_a_connection_cannot_starve_a_session_holding_one(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}", pool_size=1,
                         max_overflow=0, pool_timeout=3)
    maker = make_sessionmaker(engine)
    async with maker() as session:
        await session.execute(text("CREATE TABLE t (who TEXT)"))
        await session.commit()
    reading, queued = asyncio.Event(), asyncio.Event()

    async def reader_then_writer() -> None:
        async with maker() as session:
            await session.execute(text("SELECT count(*) FROM t"))  # the pool's one connection
            reading.set()
            await queued.wait()
            async with write_turn(session):
                await session.execute(text("INSERT INTO t VALUES ('reader')"))
                await session.commit()

    async def writer_with_a_fresh_session() -> None:
        await reading.wait()
        async with maker() as session:
            queued.set()
            async with write_turn(session):  # before the fix: the turn, then no connection
                await session.execute(text("INSERT INTO t VALUES ('writer')"))
                await session.commit()

    try:
        await asyncio.gather(reader_then_writer(), writer_with_a_fresh_session())
        async with maker() as session:
            rows = (await session.execute(text("SELECT who FROM t ORDER BY who"))).scalars()
            assert list(rows) == ["reader", "writer"]
    finally:
        await engine.dispose()


async def test_noting_a_new_messenger_never_holds_the_write_lock_outside_the_turn(tmp_path):
    """A resident's first update from a messenger records it (`note_channel`, before the
    handler); a handler then queueing for the turn must not hold SQLite's write lock meanwhile,
    or the turn's holder cannot write (a rush of first taps stalled on busy timeouts)."""
    from services import residents
    from services.db import Base, _write_turns
    from services.models import Resident

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'noted.db'}")
    maker = make_sessionmaker(engine)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with maker() as session:
        session.add(Resident(id=1, language="uk", is_active=True))
        await session.commit()
    holding = asyncio.Event()

    async def holder() -> None:
        async with maker() as session:
            await session.execute(text("PRAGMA busy_timeout=300"))  # fail soon, not in 15 s
            async with write_turn(session):
                holding.set()
                lock = _write_turns[asyncio.get_running_loop()]
                # Until the update queues for the turn (a lock has no event for that).
                while not lock._waiters:  # type: ignore[attr-defined]  # noqa: ASYNC110
                    await asyncio.sleep(0)
                await session.execute(text("UPDATE residents SET full_name = 'held' "
                                           "WHERE id = 1"))
                await session.commit()

    async def update_from_a_new_messenger() -> None:
        await holding.wait()
        async with maker() as session:
            resident = await session.get(Resident, 1)
            assert resident is not None and resident.last_channel is None
            await residents.note_channel(session, resident, "telegram")
            async with write_turn(session):  # the handler's own write
                await session.execute(text("UPDATE residents SET street = 'x' WHERE id = 1"))
                await session.commit()

    try:
        await asyncio.gather(holder(), update_from_a_new_messenger())
        async with maker() as session:
            row = (await session.execute(text(
                "SELECT last_channel, full_name, street FROM residents"))).one()
            assert tuple(row) == ("telegram", "held", "x")
    finally:
        await engine.dispose()
