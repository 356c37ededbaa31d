"""Storing a confirmed broadcast and enqueueing it in resumable chunks.

A broadcast becomes one outbox row per recipient with the dedupe key `broadcast:<id>`, written
in chunks (each its own transaction) with a keyset cursor, so a crash while enqueueing resumes
where it stopped and never queues anyone twice.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit, jobs, outbox
from services.broadcasts.audience import Audience, audience_rows, has_audience
from services.broadcasts.models import Broadcast, BroadcastStatus
from services.broadcasts.rules import BroadcastRules
from services.broadcasts.validation import validate_text
from services.db import utcnow
from services.errors import InvalidInput, NotFound
from services.events.models import Topic
from services.i18n import Texts
from services.models import Channel, Priority, Resident
from services.timeutil import as_utc

START_TASK = "broadcast.start"


def start_key(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:start"


def audience_of(broadcast: Broadcast) -> Audience:
    return Audience(Topic(broadcast.topic) if broadcast.topic else None, broadcast.district)


async def create_broadcast(
    session: AsyncSession,
    *,
    actor: str,
    author_chat_id: str | None,
    author_language: str,
    text: str,
    photo: str | None,
    audience: Audience,
    urgent: bool = False,
    scheduled_at: datetime | None = None,
    rules: BroadcastRules = BroadcastRules(),
    now: datetime | None = None,
    author_channel: Channel,
) -> Broadcast:
    """Store a confirmed broadcast and queue the task that enqueues it (now, or when due).

    Enqueueing a large audience is the task's work, done in resumable chunks by the scheduler,
    so the press officer's button press returns at once. The final report goes to the author's
    chat in `author_channel` (the channel the officer composed it in).
    """
    now = now or utcnow()
    text = validate_text(text, has_photo=bool(photo), rules=rules)
    if not await has_audience(session, audience):
        raise InvalidInput("broadcasts.audience_empty")
    if scheduled_at is not None and as_utc(scheduled_at) <= now:
        raise InvalidInput("broadcasts.time_past")
    broadcast = Broadcast(
        author=actor,
        author_channel=Channel(author_channel).value,
        author_chat_id=author_chat_id,
        author_language=author_language,
        text=text,
        photo=photo,
        topic=audience.topic.value if audience.topic else None,
        district=audience.district,
        urgent=urgent,
        status=BroadcastStatus.SCHEDULED.value,
        scheduled_at=as_utc(scheduled_at) if scheduled_at else None,
        enqueued_up_to=0,
        enqueue_done=False,
        total=0,
    )
    session.add(broadcast)
    await session.flush()
    await jobs.schedule(session, START_TASK, as_utc(scheduled_at) if scheduled_at else now,
                        {"broadcast_id": broadcast.id, "chunk": rules.chunk,
                         "chunks_per_run": rules.chunks_per_run},
                        dedupe_key=start_key(broadcast.id))
    await audit.record(session, actor, "broadcast.create", "broadcast", broadcast.id,
                       topic=broadcast.topic, district=broadcast.district, urgent=urgent,
                       scheduled_at=scheduled_at.isoformat() if scheduled_at else None)
    return broadcast


async def get_broadcast(session: AsyncSession, broadcast_id: int) -> Broadcast:
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFound("broadcasts.not_found")
    return broadcast


async def start(
    session: AsyncSession, broadcast_id: int, rules: BroadcastRules = BroadcastRules()
) -> int:
    """Queue the broadcast for its whole audience, one committed chunk at a time.

    Safe to call again after a crash (or twice at once): the cursor skips done chunks and the
    dedupe key skips anyone already queued. Returns how many rows this call queued.
    """
    queued, _ = await enqueue(session, broadcast_id, rules)
    return queued


async def enqueue(
    session: AsyncSession, broadcast_id: int, rules: BroadcastRules = BroadcastRules(),
    max_chunks: int | None = None,
) -> tuple[int, bool]:
    """Queue up to `max_chunks` chunks (all, if None); returns (rows queued, more to do)."""
    claimed = await session.execute(
        update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.status.in_([BroadcastStatus.SCHEDULED.value, BroadcastStatus.SENDING.value]),
            Broadcast.enqueue_done.is_(False),
        )
        .values(status=BroadcastStatus.SENDING.value,
                started_at=func.coalesce(Broadcast.started_at, utcnow()))
        .returning(Broadcast.id)
    )
    if claimed.first() is None:
        await session.rollback()
        return 0, False
    await session.commit()
    queued = chunks = 0
    while max_chunks is None or chunks < max_chunks:
        broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
        if broadcast is None or broadcast.status != BroadcastStatus.SENDING.value:
            return queued, False
        added = await _enqueue_chunk(session, broadcast, rules)
        if added is None:
            return queued, False
        queued += added
        chunks += 1
    return queued, True


async def _enqueue_chunk(
    session: AsyncSession, broadcast: Broadcast, rules: BroadcastRules
) -> int | None:
    """Queue the next chunk of the audience and commit; None when there is nothing more to do.

    The cursor moves only while the broadcast is still sending: if it was cancelled after we
    read it, the chunk is rolled back instead of leaving pending rows behind the cancel. It is
    a compare-and-set, too: when another run of the task moved it first, this chunk (queued
    by that run, as the dedupe keys showed) is rolled back and 0 returned.
    """
    audience = audience_of(broadcast)
    cursor = broadcast.enqueued_up_to
    resident_ids = list(
        await session.scalars(
            audience_rows(audience)
            .with_only_columns(Resident.id)
            .where(Resident.id > cursor)
            .distinct()
            .order_by(Resident.id)
            .limit(rules.chunk)
        )
    )
    if not resident_ids:
        await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast.id,
                   Broadcast.status == BroadcastStatus.SENDING.value)
            .values(enqueue_done=True)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        return None
    last = resident_ids[-1]
    rows = (
        await session.execute(
            audience_rows(audience).where(Resident.id > cursor, Resident.id <= last)
        )
    ).all()
    recipients = [outbox.Recipient(*row) for row in rows]
    added = await outbox.notify(
        session,
        recipients,
        _render(broadcast.text),
        priority=Priority.URGENT if broadcast.urgent else Priority.BULK,
        urgent=broadcast.urgent,
        dedupe=f"broadcast:{broadcast.id}",
        photo=broadcast.photo,
        broadcast_id=broadcast.id,
    )
    moved = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast.id, Broadcast.status == BroadcastStatus.SENDING.value,
               Broadcast.enqueued_up_to == cursor)
        .values(total=Broadcast.total + added, enqueued_up_to=last)
        .returning(Broadcast.id)
        .execution_options(synchronize_session=False)
    )
    if moved.first() is None:  # cancelled, or this chunk done by another run, meanwhile
        broadcast_id = broadcast.id
        await session.rollback()
        status = await session.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))
        return 0 if status == BroadcastStatus.SENDING.value else None
    await session.commit()
    return added


def _render(text: str) -> outbox.Render:
    def render(tr: Texts) -> str:
        return tr("broadcasts.message", text=text)

    return render


async def start_job(ctx: jobs.JobContext, payload: dict[str, Any]) -> datetime | None:
    """A slice of the enqueueing; while audience is left, the task comes back at once.

    A crash mid-slice leaves the task claimed until its lease runs out; then it runs again and
    resumes at the cursor, and the dedupe keys keep anyone from being queued twice. The
    chunking the task was queued with wins over the configured one.
    """
    configured = ctx.section(BroadcastRules)
    rules = replace(configured,
                    chunk=int(payload.get("chunk", configured.chunk)),
                    chunks_per_run=int(payload.get("chunks_per_run", configured.chunks_per_run)))
    _, more = await enqueue(ctx.session, int(payload["broadcast_id"]), rules,
                            rules.chunks_per_run)
    return utcnow() if more else None
