"""Alembic: an empty database upgrades to head, and then matches the models exactly."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from migrations.config import alembic_config
from services.db import Base, make_engine


async def _diff(url: str) -> list:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
    finally:
        await engine.dispose()


async def _reset_schema(url: str) -> None:
    engine = make_engine(url)
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        else:
            await conn.run_sync(Base.metadata.drop_all)
    await engine.dispose()


async def test_upgrade_to_head_matches_models(database_url: str):
    await _reset_schema(database_url)
    await asyncio.to_thread(command.upgrade, alembic_config(database_url), "head")
    assert await _diff(database_url) == []
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "base")
    await asyncio.to_thread(command.upgrade, alembic_config(database_url), "head")
    assert await _diff(database_url) == []
    if database_url.startswith("postgresql"):
        # Leave the shared test database with the schema the other tests expect.
        engine = make_engine(database_url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE alembic_version"))
        await engine.dispose()
