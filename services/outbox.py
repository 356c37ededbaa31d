"""Enqueueing into the persistent outbox, and the claim/record steps every sender uses.

A notification is written in the same transaction as the change that causes it, so a crash
either keeps both or neither. Senders claim rows with a lease; a row whose lease ran out (its
sender died) is claimed again, which makes delivery at-least-once for the few rows that were in
flight at a crash and exactly-once for everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import insert_ignoring_conflicts, is_postgres, utcnow
from services.i18n import Texts, get_translator
from services.models import ChannelIdentity, OutboxMessage, OutboxStatus, Priority, Resident
from services.timeutil import quiet_hours_end

Render = Callable[[Texts], str]


@dataclass(frozen=True, slots=True)
class Recipient:
    resident_id: int
    channel: str
    chat_id: str
    language: str
    quiet_from: int | None
    quiet_to: int | None


async def recipients_for(
    session: AsyncSession, resident_ids: Iterable[int] | None = None
) -> list[Recipient]:
    """Reachable channel identities of the given residents (all active residents if None)."""
    query = (
        select(
            Resident.id,
            ChannelIdentity.channel,
            ChannelIdentity.chat_id,
            Resident.language,
            Resident.quiet_from,
            Resident.quiet_to,
        )
        .join(ChannelIdentity, ChannelIdentity.resident_id == Resident.id)
        .where(
            Resident.is_active.is_(True),
            Resident.notifications_enabled.is_(True),
            ChannelIdentity.is_blocked.is_(False),
        )
    )
    if resident_ids is not None:
        ids = list(set(resident_ids))
        if not ids:
            return []
        rows = []
        for start in range(0, len(ids), 500):  # stay under the bind-parameter limits
            chunk = ids[start : start + 500]
            rows.extend((await session.execute(query.where(Resident.id.in_(chunk)))).all())
    else:
        rows = list((await session.execute(query)).all())
    return [Recipient(*row) for row in rows]


async def notify(
    session: AsyncSession,
    recipients: Sequence[Recipient],
    render: Render,
    *,
    priority: Priority = Priority.NORMAL,
    urgent: bool = False,
    dedupe: str | None = None,
    buttons: Callable[[Texts], list[list[dict[str, Any]]]] | None = None,
    photo: str | None = None,
    document: str | None = None,
    broadcast_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Queue one message per recipient, rendered in each one's language.

    `dedupe` makes the call idempotent: the same key never queues a second copy for the same
    recipient, however often a job or a retry runs. Non-urgent messages wait out quiet hours.
    Returns how many rows were queued.
    """
    if not recipients:
        return 0
    now = now or utcnow()
    translator = get_translator()
    rendered: dict[str, tuple[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    for r in recipients:
        if r.language not in rendered:
            texts = translator.for_language(r.language)
            rendered[r.language] = (render(texts), buttons(texts) if buttons else None)
        text, markup = rendered[r.language]
        rows.append(
            {
                "channel": r.channel,
                "chat_id": r.chat_id,
                "resident_id": r.resident_id,
                "text": text,
                "buttons": markup,
                "photo": photo,
                "document": document,
                "priority": int(Priority.URGENT if urgent else priority),
                "not_before": now if urgent else quiet_hours_end(now, r.quiet_from, r.quiet_to),
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "broadcast_id": broadcast_id,
                "dedupe_key": f"{dedupe}:{r.channel}:{r.chat_id}" if dedupe else None,
                "created_at": now,
            }
        )
    queued = 0
    stmt = insert_ignoring_conflicts(session, OutboxMessage.__table__)
    for start in range(0, len(rows), 1000):
        result = await session.execute(stmt, rows[start : start + 1000])
        queued += max(result.rowcount or 0, 0)
    return queued


async def notify_residents(
    session: AsyncSession, resident_ids: Iterable[int], render: Render, **kwargs: Any
) -> int:
    """`notify` for residents by id (the common case for domain events)."""
    return await notify(session, await recipients_for(session, resident_ids), render, **kwargs)


async def claim_batch(
    session: AsyncSession,
    worker: str,
    *,
    channel: str,
    limit: int,
    lease: timedelta = timedelta(seconds=60),
    now: datetime | None = None,
) -> list[OutboxMessage]:
    """Atomically take up to `limit` ready rows for `worker`, urgent first, oldest first."""
    now = now or utcnow()
    ready = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.channel == channel,
            OutboxMessage.not_before <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .order_by(OutboxMessage.priority, OutboxMessage.id)
        .limit(limit)
    )
    if is_postgres(session):
        ready = ready.with_for_update(skip_locked=True)
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ready.scalar_subquery()))
        .values(
            claimed_by=worker,
            claimed_until=now + lease,
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    claimed = list((await session.execute(stmt)).scalars().all())
    claimed.sort(key=lambda m: (m.priority, m.id))
    return claimed


async def mark_sent(
    session: AsyncSession, ids: Sequence[int], worker: str, now: datetime | None = None
) -> None:
    if ids:
        await session.execute(
            update(OutboxMessage)
            .where(and_(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == worker))
            .values(status=OutboxStatus.SENT, sent_at=now or utcnow(), claimed_until=None)
            .execution_options(synchronize_session=False)
        )


async def mark_final(
    session: AsyncSession, ids: Sequence[int], status: OutboxStatus, error: str | None = None
) -> None:
    if ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(status=status, error=(error or "")[:500] or None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )


async def release(
    session: AsyncSession, ids: Sequence[int], not_before: datetime, error: str | None = None
) -> None:
    """Give rows back to the queue to retry after `not_before`."""
    if ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(not_before=not_before, claimed_until=None, claimed_by=None, error=error)
            .execution_options(synchronize_session=False)
        )


async def mark_chat_blocked(session: AsyncSession, channel: str, chat_id: str) -> None:
    """The person blocked the bot: stop counting them as reachable until they come back."""
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
