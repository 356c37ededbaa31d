"""A broadcast under way and after: progress read from the outbox, cancel, history, report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit, jobs, outbox
from services.broadcasts.models import Broadcast, BroadcastStatus
from services.broadcasts.sending import get_broadcast, start_key
from services.db import utcnow
from services.errors import Conflict
from services.i18n import Texts
from services.models import Channel, OutboxStatus
from services.timeutil import format_datetime


@dataclass(frozen=True, slots=True)
class Progress:
    total: int
    sent: int
    failed: int
    blocked: int
    cancelled: int
    remaining: int

    @property
    def finished(self) -> bool:
        return self.remaining == 0


async def progress(session: AsyncSession, broadcast_id: int) -> Progress:
    counts = await outbox.status_counts(session, broadcast_id)
    return Progress(
        total=sum(counts.values()),
        sent=counts.get(OutboxStatus.SENT.value, 0),
        failed=counts.get(OutboxStatus.FAILED.value, 0),
        blocked=counts.get(OutboxStatus.BLOCKED.value, 0),
        cancelled=counts.get(OutboxStatus.CANCELLED.value, 0),
        remaining=counts.get(OutboxStatus.PENDING.value, 0),
    )


def running(broadcast: Broadcast, figures: Progress) -> bool:
    """Still to be sent, or being sent (so it can be refreshed and stopped)."""
    if broadcast.status == BroadcastStatus.SCHEDULED.value:
        return True
    return broadcast.status == BroadcastStatus.SENDING.value and (
        not broadcast.enqueue_done or not figures.finished)


async def cancel(session: AsyncSession, broadcast_id: int, *, actor: str) -> Progress:
    """Stop a scheduled or running broadcast: whatever is still queued is not sent."""
    broadcast = await get_broadcast(session, broadcast_id)
    # Compare-and-set: a broadcast that finished (or was cancelled) since we read it stays so.
    still_running = (BroadcastStatus.SCHEDULED.value, BroadcastStatus.SENDING.value)
    won = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status.in_(still_running))
        .values(status=BroadcastStatus.CANCELLED.value, finished_at=utcnow())
        .returning(Broadcast.id)
        .execution_options(synchronize_session=False)
    )
    if won.first() is None:
        raise Conflict("broadcasts.not_running")
    await session.refresh(broadcast)
    await jobs.cancel(session, start_key(broadcast_id))
    await outbox.cancel_broadcast_rows(session, broadcast_id)
    await session.flush()
    figures = await progress(session, broadcast_id)
    _store(broadcast, figures)
    await audit.record(session, actor, "broadcast.cancel", "broadcast", broadcast_id,
                       sent=figures.sent, cancelled=figures.cancelled)
    return figures


def _store(broadcast: Broadcast, figures: Progress) -> None:
    broadcast.sent = figures.sent
    broadcast.failed = figures.failed
    broadcast.blocked = figures.blocked
    broadcast.cancelled = figures.cancelled


async def history(
    session: AsyncSession, *, offset: int = 0, limit: int = 5
) -> tuple[list[Broadcast], int]:
    total = await session.scalar(select(func.count()).select_from(Broadcast)) or 0
    rows = await session.scalars(
        select(Broadcast).order_by(Broadcast.id.desc()).offset(offset).limit(limit)
    )
    return list(rows), int(total)


def report_text(tr: Texts, broadcast: Broadcast, figures: Progress) -> str:
    """The figures of one broadcast, in the staff member's language."""
    return tr(
        "broadcasts.report",
        id=broadcast.id,
        status=tr(f"broadcasts.status.{broadcast.status}"),
        total=figures.total,
        sent=figures.sent,
        failed=figures.failed,
        blocked=figures.blocked,
        cancelled=figures.cancelled,
        remaining=figures.remaining,
        when=format_datetime(broadcast.started_at or broadcast.scheduled_at
                             or broadcast.created_at),
    )


async def finish_job(ctx: jobs.JobContext) -> None:
    await finish_broadcasts(ctx.session, ctx.now)


async def finish_broadcasts(session: AsyncSession, now: datetime) -> None:
    """Close broadcasts with nothing left to send and queue the final report to the author."""
    sending = list(
        await session.scalars(
            select(Broadcast).where(
                Broadcast.status == BroadcastStatus.SENDING.value,
                Broadcast.enqueue_done.is_(True),
            )
        )
    )
    for broadcast in sending:
        figures = await progress(session, broadcast.id)
        if not figures.finished:
            continue
        won = await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast.id,
                   Broadcast.status == BroadcastStatus.SENDING.value)
            .values(status=BroadcastStatus.DONE.value, finished_at=now, sent=figures.sent,
                    failed=figures.failed, blocked=figures.blocked,
                    cancelled=figures.cancelled)
            .returning(Broadcast.id)
        )
        if won.first() is None or not broadcast.author_chat_id:
            continue
        broadcast.status = BroadcastStatus.DONE.value
        author = outbox.Recipient(0, Channel(broadcast.author_channel), broadcast.author_chat_id,
                                  broadcast.author_language, None, None)
        await outbox.notify(session, [author], _final_report(broadcast, figures), urgent=True,
                            dedupe=f"broadcast:{broadcast.id}:report")


def _final_report(broadcast: Broadcast, figures: Progress) -> outbox.Render:
    def render(tr: Texts) -> str:
        return tr("broadcasts.final") + "\n\n" + report_text(tr, broadcast, figures)

    return render
