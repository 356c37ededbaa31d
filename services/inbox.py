"""Callbacks stored as they arrive, and handed out once each, in order per sender.

A webhook answers the messenger only after the callback is committed here, so a crash after the
answer loses nothing. Processors claim rows with a lease (as outbox senders do): a row whose
lease ran out, because its process died, is claimed again. Only the oldest unfinished row of a
sender can be claimed, so one person's messages are handled in the order they were sent even
by several processes. A row is handled at least once: a process that dies after handling it
but before recording that hands it to the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services import jobs
from services.db import insert_ignoring_conflicts, is_postgres, utcnow
from services.models import InboundEvent, InboundStatus
from services.timeutil import as_utc

_TABLE = cast(Table, InboundEvent.__table__)
# Viber redelivers a callback for up to an hour; a handled row's key is kept well past that.
KEEP_FINISHED = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class Claimed:
    """One claimed callback: plain values, the raw body as received."""

    id: int
    sender: str
    body: str
    attempts: int


async def store(session: AsyncSession, channel: str, dedupe_key: str, sender: str,
                body: str, *, now: datetime | None = None) -> bool:
    """Keep a callback; False when the same key was stored before (a redelivery)."""
    result = await session.execute(
        insert_ignoring_conflicts(session, _TABLE)
        .values(channel=channel, dedupe_key=dedupe_key[:64], sender=sender[:64], body=body,
                status=InboundStatus.PENDING.value, attempts=0, received_at=now or utcnow())
        .returning(_TABLE.c.id)
    )
    return result.first() is not None


@dataclass(frozen=True, slots=True)
class Arrived:
    """One callback to keep (see `store_many`)."""

    dedupe_key: str
    sender: str
    body: str


async def store_many(session: AsyncSession, channel: str, arrived: Sequence[Arrived], *,
                     now: datetime | None = None) -> list[bool]:
    """`store` for callbacks that arrived together, in one statement: for each, whether it
    was kept (False for a redelivery, or a second copy among them)."""
    if not arrived:
        return []
    now = now or utcnow()
    # Parameters for many rows, not `.values([...])`: SQLAlchemy compiles a multi-row VALUES
    # statement anew at every execution (its cache skips it), ~10 % of a Viber webhook's CPU;
    # this statement is compiled once and sent as one multi-row INSERT all the same.
    result = await session.execute(
        insert_ignoring_conflicts(session, _TABLE).returning(_TABLE.c.dedupe_key),
        [{"channel": channel, "dedupe_key": a.dedupe_key[:64], "sender": a.sender[:64],
          "body": a.body, "status": InboundStatus.PENDING.value, "attempts": 0,
          "received_at": now} for a in arrived])
    fresh = {key for (key,) in result.all()}
    kept = []
    for a in arrived:
        key = a.dedupe_key[:64]
        kept.append(key in fresh)
        fresh.discard(key)  # a second copy in the same batch is a duplicate
    return kept


def _claimable(channel: str, now: datetime) -> Any:
    return and_(
        InboundEvent.channel == channel,
        InboundEvent.status == InboundStatus.PENDING.value,
        or_(InboundEvent.claimed_until.is_(None), InboundEvent.claimed_until < now),
    )


async def claim(session: AsyncSession, channel: str, worker: str, *, limit: int,
                lease: timedelta = timedelta(seconds=60),
                now: datetime | None = None) -> list[Claimed]:
    """Take up to `limit` rows, at most one per sender: each sender's oldest pending row,
    unless another worker holds it. The outer WHERE repeats the test, so a row another
    process took meanwhile is skipped (PostgreSQL also skips rows locked by a claim)."""
    now = now or utcnow()
    earlier = aliased(InboundEvent)
    head = ~exists().where(
        earlier.channel == InboundEvent.channel,
        earlier.sender == InboundEvent.sender,
        earlier.status == InboundStatus.PENDING.value,
        earlier.id < InboundEvent.id,
    )
    ready = (select(InboundEvent.id).where(_claimable(channel, now), head)
             .order_by(InboundEvent.id).limit(limit))
    if is_postgres(session):
        cte = ready.with_for_update(skip_locked=True).cte("ready").prefix_with("MATERIALIZED")
        chosen: Any = InboundEvent.id.in_(select(cte.c.id))
    else:
        chosen = InboundEvent.id.in_(ready.scalar_subquery())
    result = await session.execute(
        update(_TABLE)
        .where(chosen, _claimable(channel, now))
        .values(claimed_by=worker, claimed_until=now + lease, attempts=_TABLE.c.attempts + 1)
        .returning(_TABLE.c.id, _TABLE.c.sender, _TABLE.c.body, _TABLE.c.attempts)
    )
    rows = [Claimed(*row) for row in result.all()]
    rows.sort(key=lambda row: row.id)
    return rows


def _held(ids: Sequence[int], worker: str) -> Any:
    return and_(_TABLE.c.id.in_(ids), _TABLE.c.claimed_by == worker,
                _TABLE.c.status == InboundStatus.PENDING.value)


async def mark_done(session: AsyncSession, ids: Sequence[int], worker: str,
                    *, now: datetime | None = None) -> None:
    """Handled: the body (a person's message) is dropped, the key stays for dedupe."""
    if ids:
        await session.execute(
            update(_TABLE).where(_held(ids, worker))
            .values(status=InboundStatus.DONE.value, body="", claimed_until=None,
                    done_at=now or utcnow(), error=None))


async def give_back(session: AsyncSession, row_id: int, worker: str, error: str, *,
                    retry_at: datetime | None) -> None:
    """Handling failed: retry after `retry_at`, or (None) give up on the row for good."""
    values: dict[str, Any] = {"error": error[:500], "claimed_by": None}
    if retry_at is None:
        values.update(status=InboundStatus.FAILED.value, body="", claimed_until=None,
                      done_at=utcnow())
    else:
        # The lease doubles as the retry time: nobody claims the row before it.
        values["claimed_until"] = retry_at
    await session.execute(update(_TABLE).where(_held([row_id], worker)).values(**values))


async def pending_count(session: AsyncSession, channel: str) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(InboundEvent).where(
            InboundEvent.channel == channel,
            InboundEvent.status == InboundStatus.PENDING.value)) or 0)


async def next_ready_in(session: AsyncSession, channel: str,
                        now: datetime | None = None) -> float | None:
    """Seconds until a pending row held back (leased or waiting to retry) is free; None if
    no row is pending at all; 0 if one is free now."""
    now = now or utcnow()
    soonest = await session.scalar(
        select(func.min(func.coalesce(InboundEvent.claimed_until, now))).where(
            InboundEvent.channel == channel,
            InboundEvent.status == InboundStatus.PENDING.value))
    if soonest is None:
        return None
    return max((as_utc(soonest) - now).total_seconds(), 0.0)


async def purge_finished(session: AsyncSession, before: datetime) -> int:
    """Forget handled rows older than `before` (past the messenger's redelivery window)."""
    result = await session.execute(
        delete(InboundEvent).where(
            InboundEvent.status != InboundStatus.PENDING.value,
            InboundEvent.received_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_job(ctx: jobs.JobContext) -> None:
    """The daily clean-up of handled callbacks (declared by the core feature)."""
    await purge_finished(ctx.session, ctx.now - KEEP_FINISHED)
