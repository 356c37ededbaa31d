"""Wiring of one process: database, Redis, the Telegram bot (when BOT_TOKEN is set), the
dispatcher, the stop signals and background services (scheduler, outbox senders). The channels
run it (bot/serve.py puts them together)."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.base import Transport
from bot.channels.telegram.client import build_bot, on_startup
from bot.config import Settings
from bot.dispatcher import build_dispatcher, build_storage
from bot.features import FEATURES, job_registry
from bot.scheduler import Ticker, build_scheduler, worker_name
from bot.updates import SkippingDispatcher
from services import outbox
from services.db import make_engine, make_sessionmaker

# build_bot and on_startup are the Telegram channel's, kept importable here for the tests.
__all__ = ["Runtime", "build_bot", "build_dispatcher", "build_storage", "connect_redis",
           "on_startup", "runtime", "start_background"]

log = logging.getLogger(__name__)
# How long a stop waits for the updates being handled before closing connections.
SHUTDOWN_GRACE_SECONDS = 20.0


def connect_redis(url: str | None) -> Any | None:
    if not url:
        return None
    from redis.asyncio import Redis

    return Redis.from_url(url)


@dataclass
class Runtime:
    """Everything one process runs, created and closed together.

    `bot` is Telegram's (None on a deployment without BOT_TOKEN). A channel served by this
    process may put its live outbox transport in `transports` (it then replaces the
    registry's) and its shutdown in `closers` (run after the background work has ended).
    """

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    bot: Bot | None
    dp: SkippingDispatcher
    redis: Any | None = None
    scheduler: Ticker | None = None
    background: list[asyncio.Task[Any]] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    transports: dict[str, Transport] = field(default_factory=dict)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def telegram(self) -> Bot:
        """The Telegram bot, for code that runs only with BOT_TOKEN set."""
        if self.bot is None:
            raise RuntimeError("this process has no Telegram bot (BOT_TOKEN is not set)")
        return self.bot

    def request_stop(self, sig: signal.Signals) -> None:
        """SIGTERM or SIGINT: finish what is running, close everything, exit 0."""
        if not self.stop.is_set():
            log.info("received %s, shutting down", sig.name)
            self.stop.set()


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _stop_on_signals(rt: Runtime) -> None:
    """One way to stop for polling and webhook alike, so both exit 0 with the same lines
    (a service manager marks a unit that exits 1 on SIGTERM as failed)."""
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        with suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, rt.request_stop, sig)


@asynccontextmanager
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    settings.ensure_data_dir()
    engine = make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(engine)
    redis = connect_redis(settings.redis_url)
    # A deployment on Viber alone has no Telegram bot.
    bot = build_bot(settings) if settings.bot_token is not None else None
    dp = build_dispatcher(settings, sessionmaker, redis=redis)
    rt = Runtime(settings, engine, sessionmaker, bot, dp, redis)
    _stop_on_signals(rt)
    try:
        yield rt
    finally:
        rt.stop.set()
        log.info("stopping background work and closing connections")
        if rt.scheduler is not None:
            await rt.scheduler.stop()
        for feature in FEATURES:
            if feature.on_stop is not None:
                await feature.on_stop()
        await _finish_background(rt.background)
        for close in reversed(rt.closers):
            try:
                await close()
            except Exception:
                log.exception("closing a channel failed")
        if bot is not None:
            await bot.session.close()
        if redis is not None:
            await redis.aclose()
        await engine.dispose()
        for sig in STOP_SIGNALS:
            with suppress(NotImplementedError):
                asyncio.get_running_loop().remove_signal_handler(sig)
        log.info("stopped")


async def _finish_background(tasks: list[asyncio.Task[Any]]) -> None:
    """Let background loops see the stop and end on their own; cancel only the ones that
    overrun, since a task cancelled inside a database session leaves its connection to be
    rolled back by the garbage collector after the engine is gone."""
    if not tasks:
        return
    _done, overrun = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_SECONDS)
    for task in overrun:
        log.warning("background task %s did not stop in time; cancelling it", task.get_name())
        task.cancel()
    for task in tasks:
        with suppress(asyncio.CancelledError, Exception):
            await task


async def start_background(rt: Runtime) -> None:
    """The scheduler tick and one outbox sender per configured channel, when enabled for this
    process."""
    # Everything loaded so far lives as long as the process: keep it out of the cyclic GC,
    # whose full passes otherwise stall the sender for ~0.1 s at a time.
    gc.collect()
    gc.freeze()
    if rt.settings.scheduler_enabled:
        outbox.configure_retention(rt.settings.outbox_retention_days)
        rt.scheduler = build_scheduler(rt.sessionmaker, rt.settings.scheduler_tick_seconds,
                                       job_registry(rt.dp["sections"]))
        rt.scheduler.start()
    if rt.settings.delivery_enabled:
        from bot.outbox.run import start_delivery

        rt.background += start_delivery(rt.sessionmaker, rt.settings, rt.stop,
                                        worker_id=worker_name(), redis=rt.redis,
                                        transports=rt.transports)
