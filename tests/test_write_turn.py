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
