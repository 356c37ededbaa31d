"""The steps every sender takes: claim rows under a lease, mark them sent or final, release."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Integer, Table, and_, bindparam, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import is_postgres, utcnow
from services.models import (
    ChannelIdentity,
    OutboxMessage,
    OutboxStatus,
    Resident,
)
from services.timeutil import as_utc


@dataclass(frozen=True, slots=True)
class Claimed:
    """What a sender needs of one claimed row (plain values: no ORM cost on the hot path)."""

    id: int
    channel: str
    chat_id: str
    resident_id: int | None
    text: str
    photo: str | None
    document: str | None
    buttons: list[list[dict[str, Any]]] | None
    priority: int
    attempts: int
    broadcast_id: int | None


_CLAIMED_COLUMNS = [OutboxMessage.__table__.c[name] for name in Claimed.__slots__]


_OUTBOX = cast(Table, OutboxMessage.__table__)
_C = _OUTBOX.c
# The senders' statements, built once and bound by name: each sender claims and asks for the
# next due row four times a second even when idle, and building them anew cost most of that.
_CLAIMABLE = and_(
    _C.status == OutboxStatus.PENDING.value,
    _C.channel == bindparam("p_channel"),
    _C.not_before <= bindparam("p_now"),
    or_(_C.claimed_until.is_(None), _C.claimed_until < bindparam("p_now")),
)
_READY = (
    select(_C.id)
    .where(_CLAIMABLE)
    # (priority, not_before, id) walks ix_outbox_ready in order and stops at the limit;
    # ordering by (priority, id) would sort every pending row on each claim.
    .order_by(_C.priority, _C.not_before, _C.id)
    .limit(bindparam("p_limit", type_=Integer))
)


def _claim(chosen: Any) -> Any:
    return (
        update(_OUTBOX)
        .where(chosen, _CLAIMABLE)
        .values(claimed_by=bindparam("p_worker"), claimed_until=bindparam("p_until"),
                attempts=_C.attempts + 1)
        .returning(*_CLAIMED_COLUMNS)
    )


_READY_LOCKED = _READY.with_for_update(skip_locked=True).cte("ready").prefix_with("MATERIALIZED")
_CLAIM_POSTGRES = _claim(_C.id.in_(select(_READY_LOCKED.c.id)))
_CLAIM_SQLITE = _claim(_C.id.in_(_READY.scalar_subquery()))


async def claim_batch(
    session: AsyncSession,
    worker: str,
    *,
    channel: str,
    limit: int,
    lease: timedelta = timedelta(seconds=60),
    now: datetime | None = None,
) -> list[Claimed]:
    """Atomically take up to `limit` ready rows for `worker`, urgent first, longest-due first.

    PostgreSQL locks the candidates with `FOR UPDATE SKIP LOCKED` in a materialized CTE, so two
    processes never take the same row; SQLite runs the single `UPDATE .. RETURNING` under its one
    write lock. The outer WHERE repeats the readiness test so a row changed meanwhile is skipped.
    """
    now = now or utcnow()
    stmt = _CLAIM_POSTGRES if is_postgres(session) else _CLAIM_SQLITE
    rows = (await session.execute(stmt, {"p_channel": channel, "p_now": now, "p_limit": limit,
                                         "p_worker": worker, "p_until": now + lease})).all()
    claimed = [Claimed(*row) for row in rows]
    claimed.sort(key=lambda m: (m.priority, m.id))
    return claimed


def _held_by(ids: Sequence[int], worker: str | None, *statuses: OutboxStatus) -> Any:
    allowed = [s.value for s in statuses or (OutboxStatus.PENDING,)]
    condition = and_(_OUTBOX.c.id.in_(ids), _OUTBOX.c.status.in_(allowed))
    if worker is not None:
        condition = and_(condition, _OUTBOX.c.claimed_by == worker)
    return condition


async def mark_sent(
    session: AsyncSession, ids: Sequence[int], worker: str, now: datetime | None = None
) -> None:
    """Record delivery of rows this worker still holds (also if cancelled while in flight)."""
    for start in range(0, len(ids), 500):
        await session.execute(
            update(_OUTBOX)
            .where(_held_by(ids[start : start + 500], worker, OutboxStatus.PENDING,
                            OutboxStatus.CANCELLED))
            .values(status=OutboxStatus.SENT.value, sent_at=now or utcnow(), claimed_until=None,
                    error=None)
        )


async def mark_final(
    session: AsyncSession,
    ids: Sequence[int],
    status: OutboxStatus,
    error: str | None = None,
    worker: str | None = None,
) -> None:
    """Close rows for good (failed, blocked, cancelled) with the reason."""
    for start in range(0, len(ids), 500):
        await session.execute(
            update(_OUTBOX)
            .where(_held_by(ids[start : start + 500], worker))
            .values(status=status.value, error=(error or "")[:500] or None, claimed_until=None)
        )


async def release(
    session: AsyncSession,
    ids: Sequence[int],
    not_before: datetime,
    error: str | None = None,
    *,
    worker: str | None = None,
    count_attempt: bool = True,
) -> None:
    """Give rows back to the queue to retry after `not_before`.

    `count_attempt=False` is for rows that were never tried (rate limit, pacing): the claim's
    attempt is given back so they do not run out of retries while waiting their turn.
    """
    if not ids:
        return
    values: dict[str, Any] = {
        "not_before": not_before, "claimed_until": None, "claimed_by": None,
    }
    if error is not None:
        values["error"] = error[:500]
    if not count_attempt:
        values["attempts"] = _OUTBOX.c.attempts - 1
    for start in range(0, len(ids), 500):
        await session.execute(
            update(_OUTBOX)
            .where(_held_by(ids[start : start + 500], worker))
            .values(**values)
        )


async def mark_chat_blocked(session: AsyncSession, channel: str, chat_id: str) -> None:
    """The person blocked the bot: stop counting them as reachable until they come back.

    Their queued, unclaimed messages are closed as blocked too: each would only earn another 403.
    """
    identity_ids = select(ChannelIdentity.resident_id).where(
        ChannelIdentity.channel == channel, ChannelIdentity.chat_id == chat_id
    )
    await session.execute(
        update(ChannelIdentity)
        .where(ChannelIdentity.channel == channel, ChannelIdentity.chat_id == chat_id)
        .values(is_blocked=True)
        .execution_options(synchronize_session=False)
    )
    # A resident with no other reachable channel becomes inactive.
    still_reachable = select(ChannelIdentity.resident_id).where(
        ChannelIdentity.is_blocked.is_(False)
    )
    await session.execute(
        update(Resident)
        .where(Resident.id.in_(identity_ids), Resident.id.not_in(still_reachable))
        .values(is_active=False)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.status == OutboxStatus.PENDING.value,
            OutboxMessage.claimed_by.is_(None),
        )
        .values(status=OutboxStatus.BLOCKED.value, error="blocked by the user")
        .execution_options(synchronize_session=False)
    )


_NEXT_DUE = select(func.min(case(
    (and_(_C.claimed_until.is_not(None), _C.claimed_until > _C.not_before), _C.claimed_until),
    else_=_C.not_before,
))).where(_C.status == OutboxStatus.PENDING.value, _C.channel == bindparam("p_channel"))


async def next_due(session: AsyncSession, channel: str) -> datetime | None:
    """When the earliest pending row of `channel` can next be claimed (None if none).

    A row leased by a sender counts from the end of its lease: if that sender died, this is when
    the row becomes claimable again.
    """
    value = await session.scalar(_NEXT_DUE, {"p_channel": channel})
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back CASE results as text
        value = datetime.fromisoformat(value)
    return as_utc(value)


async def status_counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """How many rows of one broadcast are in each status."""
    rows = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .group_by(OutboxMessage.status)
    )
    return {status: int(n) for status, n in rows.all()}


async def cancel_broadcast_rows(session: AsyncSession, broadcast_id: int) -> int:
    """Stop what is still queued of a broadcast; rows already in a sender's hands may still go."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.broadcast_id == broadcast_id,
            OutboxMessage.status == OutboxStatus.PENDING.value,
        )
        .values(status=OutboxStatus.CANCELLED.value, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
