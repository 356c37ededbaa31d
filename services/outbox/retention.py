"""Personal data in the outbox: erased at /forget; finished rows kept a while, then purged."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import jobs
from services.models import (
    OutboxMessage,
    OutboxStatus,
)

_retention = timedelta(days=30)


def configure_retention(days: int) -> None:
    """How long finished rows stay (OUTBOX_RETENTION_DAYS); set once at start-up."""
    global _retention
    _retention = timedelta(days=days)


async def erase_resident(session: AsyncSession, resident_id: int) -> None:
    """/forget: nothing of the person's messages stays but what broadcast figures need.

    Rows of a broadcast keep their status (queued ones become cancelled) without chat, text or
    profile; every other row of theirs is deleted.
    """
    mine = OutboxMessage.resident_id == resident_id
    await session.execute(
        delete(OutboxMessage).where(mine, OutboxMessage.broadcast_id.is_(None))
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(OutboxMessage)
        .where(mine, OutboxMessage.status == OutboxStatus.PENDING.value)
        .values(status=OutboxStatus.CANCELLED.value, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(OutboxMessage)
        .where(mine)
        .values(chat_id="", resident_id=None, text="", buttons=None, photo=None, document=None,
                dedupe_key=None, error=None)
        .execution_options(synchronize_session=False)
    )


async def purge_finished(session: AsyncSession, now: datetime,
                         keep: timedelta | None = None) -> int:
    """Delete rows finished (sent, failed, blocked, cancelled) longer than `keep` ago."""
    cutoff = now - (keep if keep is not None else _retention)
    result = await session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.status != OutboxStatus.PENDING.value,
            func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < cutoff,
        )
        .execution_options(synchronize_session=False)
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


async def purge_job(ctx: jobs.JobContext) -> None:
    """The daily clean-up of finished rows (declared by the core feature)."""
    await purge_finished(ctx.session, ctx.now)
