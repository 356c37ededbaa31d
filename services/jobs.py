"""Deferred and periodic work kept in our own tables, so a restart loses nothing.

One-off tasks (`schedule`) are claimed atomically by one scheduler tick in one process.
Periodic jobs run at most once per period key (e.g. once a day) across all processes,
guarded by a unique row in `periodic_runs`. Which handler runs which task kind is the
`JobRegistry` the scheduler is given, built from the features' declared jobs at start-up
(bot/features.py): never what a process happened to import. Handlers get a `JobContext`
(session, now, the settings sections), write their effects (usually outbox rows) and return;
the tick commits each task on its own. A task handler with more work left returns when to
run again, and the same task is queued anew.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.db import insert_ignoring_conflicts, is_postgres, utcnow
from services.models import PeriodicRun, ScheduledTask, TaskStatus
from services.sections import Sections

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a job handler works with: its session, the tick's time, the configured rules."""

    session: AsyncSession
    now: datetime
    sections: Sections

    def section(self, kind: type[T]) -> T:
        """The feature rules of that type, as the handlers use them (built from Settings)."""
        return self.sections.get(kind)


# A task handler returns None when done, or the time to run again when work is left (a long
# job done in slices, so one tick never blocks the others for long).
TaskHandler = Callable[[JobContext, dict[str, Any]], Awaitable[datetime | None]]
PeriodicHandler = Callable[[JobContext], Awaitable[None]]
# Returns the key of the current period, or None when the job is not due now.
PeriodKey = Callable[[datetime], str | None]


@dataclass(frozen=True, slots=True)
class Task:
    """A one-off task kind (`schedule`) and its handler."""

    kind: str
    handler: TaskHandler


@dataclass(frozen=True, slots=True)
class Periodic:
    """A job run once per period (``period_key``: `daily_at`, `every_tick`)."""

    name: str
    period_key: PeriodKey
    handler: PeriodicHandler


Job = Task | Periodic


class JobRegistry:
    """Every task kind and periodic job one process runs, with the sections they get."""

    def __init__(self, jobs: Iterable[Job], sections: Sections | None = None) -> None:
        self.sections = sections if sections is not None else Sections()
        self._tasks: dict[str, TaskHandler] = {}
        self._periodic: dict[str, Periodic] = {}
        for job in jobs:
            if isinstance(job, Task):
                if job.kind in self._tasks:
                    raise ValueError(f"task kind {job.kind!r} is declared twice")
                self._tasks[job.kind] = job.handler
            else:
                if job.name in self._periodic:
                    raise ValueError(f"periodic job {job.name!r} is declared twice")
                self._periodic[job.name] = job

    @property
    def tasks(self) -> Mapping[str, TaskHandler]:
        return MappingProxyType(self._tasks)

    @property
    def periodic(self) -> Mapping[str, Periodic]:
        return MappingProxyType(self._periodic)

    def context(self, session: AsyncSession, now: datetime | None = None) -> JobContext:
        return JobContext(session, now or utcnow(), self.sections)


def every_tick(_now: datetime) -> str | None:
    """Run on every tick, in every process; the handler itself must be idempotent."""
    return ""


def daily_at(hour: int) -> PeriodKey:
    """Once a day on the council's clock, from `hour` o'clock on."""
    from services.timeutil import to_local

    def key(now: datetime) -> str | None:
        local = to_local(now)
        return local.date().isoformat() if local.hour >= hour else None

    return key


async def schedule(
    session: AsyncSession,
    kind: str,
    due_at: datetime,
    payload: dict[str, Any] | None = None,
    *,
    dedupe_key: str | None = None,
) -> bool:
    """Queue a task; with `dedupe_key` the same task is queued once. True if queued now."""
    stmt = (
        insert_ignoring_conflicts(session, ScheduledTask.__table__)
        .values(
            kind=kind,
            payload=payload or {},
            due_at=due_at,
            status=TaskStatus.PENDING.value,
            attempts=0,
            dedupe_key=dedupe_key,
            created_at=utcnow(),
        )
        .returning(ScheduledTask.__table__.c.id)
    )
    return (await session.execute(stmt)).first() is not None


async def cancel(session: AsyncSession, dedupe_key: str) -> None:
    await session.execute(
        update(ScheduledTask)
        .where(ScheduledTask.dedupe_key == dedupe_key, ScheduledTask.status == TaskStatus.PENDING)
        .values(status=TaskStatus.DONE, last_error="cancelled", done_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def claim_due(
    session: AsyncSession, worker: str, limit: int = 20, lease: timedelta = timedelta(minutes=5)
) -> list[ScheduledTask]:
    now = utcnow()
    due = (
        select(ScheduledTask.id)
        .where(
            ScheduledTask.due_at <= now,
            or_(
                ScheduledTask.status == TaskStatus.PENDING,
                and_(ScheduledTask.status == TaskStatus.RUNNING, ScheduledTask.locked_until < now),
            ),
        )
        .order_by(ScheduledTask.due_at, ScheduledTask.id)
        .limit(limit)
    )
    if is_postgres(session):
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(ScheduledTask)
        .where(ScheduledTask.id.in_(due.scalar_subquery()))
        .values(
            status=TaskStatus.RUNNING,
            locked_by=worker,
            locked_until=now + lease,
            attempts=ScheduledTask.attempts + 1,
        )
        .returning(ScheduledTask)
        .execution_options(synchronize_session=False)
    )
    return list((await session.execute(stmt)).scalars().all())


async def claim_period(session: AsyncSession, name: str, period_key: str) -> bool:
    stmt = (
        insert_ignoring_conflicts(session, PeriodicRun.__table__)
        .values(name=name, period_key=period_key, ran_at=utcnow())
        .returning(PeriodicRun.__table__.c.id)
    )
    return (await session.execute(stmt)).first() is not None


async def run_tick(sessionmaker: async_sessionmaker[AsyncSession], worker: str,
                   registry: JobRegistry) -> int:
    """One scheduler tick: run due one-off tasks, then periodic jobs whose period is new."""
    done = 0
    async with sessionmaker() as session:
        claimed = await claim_due(session, worker)
        await session.commit()
    for item in claimed:
        done += await _run_task(sessionmaker, registry, item)
    now = utcnow()
    for job in registry.periodic.values():
        key = job.period_key(now)
        if key is None:
            continue
        try:
            async with sessionmaker() as session:
                if key and not await claim_period(session, job.name, key):
                    continue
                await job.handler(registry.context(session, now))
                await session.commit()
                done += 1
        except Exception:
            log.exception("periodic job %s failed", job.name)
    return done


async def _run_task(sessionmaker: async_sessionmaker[AsyncSession], registry: JobRegistry,
                    item: ScheduledTask) -> int:
    handler = registry.tasks.get(item.kind)
    try:
        if handler is None:
            raise LookupError(f"no handler for task kind {item.kind!r}")
        async with sessionmaker() as session:
            again = await handler(registry.context(session), dict(item.payload or {}))
            if again is None:
                values: dict[str, Any] = {"status": TaskStatus.DONE, "done_at": utcnow(),
                                          "locked_until": None}
            else:  # a slice is done: the rest is due again, with fresh attempts
                values = {"status": TaskStatus.PENDING, "due_at": again, "attempts": 0,
                          "locked_by": None, "locked_until": None}
            await session.execute(
                update(ScheduledTask).where(ScheduledTask.id == item.id).values(**values)
            )
            await session.commit()
        return 1
    except Exception as exc:
        log.exception("task %s #%s failed", item.kind, item.id)
        async with sessionmaker() as session:
            final = item.attempts >= MAX_ATTEMPTS or handler is None
            await session.execute(
                update(ScheduledTask)
                .where(ScheduledTask.id == item.id)
                .values(
                    status=TaskStatus.FAILED if final else TaskStatus.PENDING,
                    due_at=utcnow() + timedelta(seconds=30 * item.attempts),
                    last_error=repr(exc)[:1000],
                    locked_until=None,
                )
            )
            await session.commit()
        return 0
