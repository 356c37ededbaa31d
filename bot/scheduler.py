"""APScheduler in the running loop, with one short tick that claims due work from our tables."""

from __future__ import annotations

import asyncio
import logging
import os
import socket

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import jobs

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Ticker:
    """APScheduler running our tick; `stop()` lets a tick in flight finish its transaction.

    Without that wait, a shutdown during a tick cancels it, and APScheduler logs the
    CancelledError with a traceback (and the tick's work is rolled back and redone).
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession],
                 tick_seconds: float, registry: jobs.JobRegistry) -> None:
        self.sessionmaker = sessionmaker
        self.registry = registry
        self.worker = worker_name()
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.scheduler.add_job(self._tick, "interval", seconds=tick_seconds, id="tick",
                               max_instances=1, coalesce=True, misfire_grace_time=None)
        self._idle = asyncio.Event()
        self._idle.set()

    async def _tick(self) -> None:
        self._idle.clear()
        try:
            await jobs.run_tick(self.sessionmaker, self.worker, self.registry)
        except Exception:
            log.exception("scheduler tick failed")
        finally:
            self._idle.set()

    def start(self) -> None:
        self.scheduler.start()

    async def stop(self, within: float = 30.0) -> None:
        """No new ticks; wait (up to `within` seconds) for the one in flight, then shut down."""
        if not self.scheduler.running:
            return
        # APScheduler's shutdown cancels the jobs in flight, so pause it and wait first.
        self.scheduler.pause()
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            log.warning("scheduler tick still running after %s s at shutdown", within)
        self.scheduler.shutdown(wait=False)


def build_scheduler(sessionmaker: async_sessionmaker[AsyncSession], tick_seconds: float,
                    registry: jobs.JobRegistry) -> Ticker:
    """The tick holds no state: what is due lives in the database, so restarts lose nothing.

    `registry` (bot.features.job_registry) says which handler runs which task kind.
    """
    return Ticker(sessionmaker, tick_seconds, registry)
