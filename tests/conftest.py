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

import bot.lazy_types  # noqa: F401  (first: aiogram's types built on first use, as in production)
import services.models  # noqa: F401  (registers every table)
from services import timeutil
from services.db import Base, make_engine, make_sessionmaker

BACKEND = os.environ.get("HROMADA_TEST_DB", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(autouse=True)
def _default_council_calendar() -> Iterator[None]:
    """A test may set the council's zone or extra days off (or build an app that does)."""
    yield
    timeutil.configure()


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


# ---- the bot against the fake Telegram Bot API ----------------------------------------------

import logging  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

from aiogram import Bot, Dispatcher  # noqa: E402
from aiogram.types import Update  # noqa: E402

from bot.app import build_bot, build_dispatcher, build_storage, connect_redis  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.features import build_sections, job_registry  # noqa: E402
from services import roles as roles_service  # noqa: E402
from services.jobs import JobRegistry  # noqa: E402
from services.models import Channel, Role  # noqa: E402
from tests.fakes.resident import ResidentClient  # noqa: E402
from tests.fakes.telegram_api import BOT_USERNAME, FakeTelegramAPI  # noqa: E402

TEST_TOKEN = "123456:" + "A" * 35


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeTelegramAPI]:
    fake = FakeTelegramAPI()
    await fake.start()
    yield fake
    await fake.stop()


class _ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class BotApp:
    """The real dispatcher (routers + middlewares) wired to the fake API and a real database."""

    fake: FakeTelegramAPI
    dp: Dispatcher
    bot: Bot
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Any | None = None
    errors: _ErrorCollector = field(default_factory=_ErrorCollector)
    expect_errors: bool = False

    @property
    def jobs(self) -> JobRegistry:
        """The scheduler's job registry this bot's process would run (its own sections)."""
        return job_registry(self.dp["sections"])

    async def feed(self, update: dict[str, Any]) -> None:
        update = {"update_id": self.fake.next_update_id(), **update}
        await self.dp.feed_update(self.bot, Update.model_validate(update,
                                                                  context={"bot": self.bot}))

    def resident(self, user_id: int, first_name: str = "Олена",
                 language_code: str | None = "uk", username: str | None = None
                 ) -> ResidentClient:
        return ResidentClient(self.fake, self.feed, user_id, first_name, language_code, username)

    async def make_staff(self, user_id: int, role: Role) -> None:
        async with self.sessionmaker() as session:
            await roles_service.grant(session, "test", Channel.TELEGRAM, str(user_id), role)
            await session.commit()

    async def deliver(self) -> int:
        """Run the outbox sender until nothing is ready; returns how many were handled."""
        from bot.channels.telegram.transport import TelegramSender

        sender = TelegramSender(self.bot, self.sessionmaker, worker_id="test-sender",
                                rate_per_second=1000, per_chat_interval=0)
        return await sender.drain()


def make_test_settings(database_url: str, api_url: str, redis_url: str | None,
                       **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": TEST_TOKEN,
        "telegram_api_base": api_url,
        "bot_username": BOT_USERNAME,
        "database_url": database_url,
        "redis_url": redis_url,
        "scheduler_enabled": False,
        "delivery_enabled": False,
        "throttle_rate": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def make_job_registry(**overrides: Any) -> JobRegistry:
    """The job registry of a process with the test settings (for tests without a bot)."""
    settings = make_test_settings("sqlite://", "http://127.0.0.1:9", None, **overrides)
    return job_registry(build_sections(settings))


@pytest.fixture
def jobs_registry() -> JobRegistry:
    return make_job_registry()


@pytest.fixture
async def bot_app_factory(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession],
    fake_api: FakeTelegramAPI, redis_url: str | None,
) -> AsyncIterator[Callable[..., Awaitable[BotApp]]]:
    created: list[BotApp] = []
    collector = _ErrorCollector()
    logging.getLogger("handlers").addHandler(collector)
    logging.getLogger("aiogram.event").addHandler(collector)

    async def factory(**overrides: Any) -> BotApp:
        settings = make_test_settings(database_url, fake_api.url, redis_url, **overrides)
        redis = connect_redis(settings.redis_url)
        # Each app gets its own Redis keys, so tests never see each other's dialogs or buckets.
        prefix = f"test-{uuid.uuid4().hex[:8]}"
        storage = build_storage(settings, redis, prefix=f"{prefix}:fsm")
        bot = build_bot(settings)
        dp = build_dispatcher(settings, sessionmaker, storage=storage, redis=redis,
                              key_prefix=prefix)
        app = BotApp(fake_api, dp, bot, settings, sessionmaker, redis, collector)
        created.append(app)
        return app

    yield factory
    logging.getLogger("handlers").removeHandler(collector)
    logging.getLogger("aiogram.event").removeHandler(collector)
    for app in created:
        await app.bot.session.close()
        await app.dp.storage.close()
        if app.redis is not None:
            await app.redis.aclose()
    if not any(app.expect_errors for app in created) and collector.records:
        messages = "\n".join(f"{collector.format(r)}\n{r.exc_info}" for r in collector.records)
        pytest.fail(f"handlers logged unexpected errors:\n{messages}")


@pytest.fixture
async def bot_app(bot_app_factory: Callable[..., Awaitable[BotApp]]) -> BotApp:
    return await bot_app_factory()
