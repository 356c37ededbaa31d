"""APScheduler in the running loop, with one short tick that claims due work from our tables."""

from __future__ import annotations

import logging
import os
import socket

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import jobs

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def build_scheduler(sessionmaker: async_sessionmaker[AsyncSession],
                    tick_seconds: float) -> AsyncIOScheduler:
    """The tick holds no state: what is due lives in the database, so restarts lose nothing."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    worker = worker_name()

    async def tick() -> None:
        try:
            await jobs.run_tick(sessionmaker, worker)
        except Exception:
            log.exception("scheduler tick failed")

    scheduler.add_job(tick, "interval", seconds=tick_seconds, id="tick", max_instances=1,
                      coalesce=True, misfire_grace_time=None)
    return scheduler
