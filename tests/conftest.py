"""Shared fixtures: a real database (SQLite file, or PostgreSQL when asked) per test.

The backend comes from `HROMADA_TEST_DB` (`sqlite`, the default, or `postgres`) so the whole
suite runs once per backend; `.ci/run` runs both. With `postgres`, the server at
`TEST_POSTGRES_URL` must be reachable: a run that cannot reach it fails, it never skips.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import services.models  # noqa: F401  (registers every table)
from services.db import Base, make_engine, make_sessionmaker

BACKEND = os.environ.get("HROMADA_TEST_DB", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    """A throw-away PostgreSQL database for this run (None when testing on SQLite)."""
    if BACKEND != "postgres":
        yield None
        return
    import asyncio

    name = f"hromada_test_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        engine = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"

    async def create_schema() -> None:
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        await engine.dispose()

    asyncio.run(create_schema())
    try:
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def database_url(tmp_path, postgres_database: str | None) -> AsyncIterator[str]:
    """A clean database for one test: a fresh SQLite file, or emptied PostgreSQL tables."""
    if postgres_database is None:
        url = f"sqlite+aiosqlite:///{tmp_path / 'hromada.db'}"
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        await engine.dispose()
        yield url
        return
    engine = make_engine(postgres_database)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()
    yield postgres_database


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
def redis_url() -> str | None:
    """Redis for FSM storage and throttling when the PostgreSQL backend is under test."""
    return REDIS_URL if BACKEND == "postgres" else None
