"""The scheduler's tick as the running bot uses it: a shutdown lets the tick in flight finish."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.scheduler import build_scheduler
from services import jobs
from services.db import utcnow
from services.models import ScheduledTask, TaskStatus

started = asyncio.Event()
release = asyncio.Event()


async def _slow_task(_ctx: Any, _payload: dict[str, Any]) -> None:
    started.set()
    await release.wait()


async def test_stop_waits_for_the_tick_in_flight(sessionmaker, session):
    started.clear()
    release.clear()
    await jobs.schedule(session, "test.slow", utcnow())
    await session.commit()
    ticker = build_scheduler(sessionmaker, 0.05,
                             jobs.JobRegistry([jobs.Task("test.slow", _slow_task)]))
    ticker.start()
    await asyncio.wait_for(started.wait(), 30)
    stopping = asyncio.create_task(ticker.stop())
    for _ in range(20):  # give stop() every chance to return early
        await asyncio.sleep(0)
    assert not stopping.done()
    release.set()
    await asyncio.wait_for(stopping, 30)
    session.expire_all()
    status = await session.scalar(select(ScheduledTask.status))
    assert status == TaskStatus.DONE.value
