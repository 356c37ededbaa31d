"""The scheduler's side of the feature: closing expired petitions and the overdue reminders.

Each run is safe to repeat and to run in several processes at once: closings and warnings are
conditional UPDATEs (only the winner acts), reminders carry a per-day dedupe key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import appeals
from services.db import utcnow
from services.petitions import notifications
from services.petitions.appeal import Expired, consider_as_appeal
from services.petitions.models import Petition, PetitionStatus
from services.petitions.status import AWAITING

__all__ = ["close_expired", "remind_answer_overdue", "warn_moderation_overdue"]


async def close_expired(
    session: AsyncSession,
    now: datetime | None = None,
    appeal_rules: appeals.AppealRules = appeals.AppealRules(),
) -> list[int]:
    """Collection over without the threshold: close, and consider it as an appeal."""
    now = now or utcnow()
    expired = (Petition.status == PetitionStatus.COLLECTING, Petition.deadline <= now)
    # A read first: on most ticks nothing expired, and then nothing is written.
    if await session.scalar(select(Petition.id).where(*expired).limit(1)) is None:
        return []
    closed = [
        Expired(*row)
        for row in await session.execute(
            update(Petition)
            .where(*expired)
            .values(status=PetitionStatus.NOT_ENOUGH_SIGNATURES, closed_at=now)
            .returning(Petition.id, Petition.number, Petition.title, Petition.text,
                       Petition.category, Petition.author_id, Petition.signature_count,
                       Petition.threshold)
            .execution_options(synchronize_session=False)
        )
    ]
    staff = await notifications.moderators(session) if closed else []
    for petition in closed:
        await consider_as_appeal(session, appeal_rules, petition, staff, now)
    return [petition.id for petition in closed]


async def warn_moderation_overdue(session: AsyncSession, now: datetime | None = None) -> int:
    """Tell moderators, once per petition, that one has waited past the moderation deadline."""
    now = now or utcnow()
    overdue = (
        Petition.status == PetitionStatus.MODERATION,
        Petition.moderation_due_at < now,
        Petition.moderation_warned_at.is_(None),
    )
    if await session.scalar(select(Petition.id).where(*overdue).limit(1)) is None:
        return 0
    rows = [
        (pid, title, created_at)
        for pid, title, created_at in await session.execute(
            update(Petition)
            .where(*overdue)
            .values(moderation_warned_at=now)
            .returning(Petition.id, Petition.title, Petition.created_at)
            .execution_options(synchronize_session=False)
        )
    ]
    return await notifications.moderation_overdue(session, rows, now)


async def remind_answer_overdue(session: AsyncSession, now: datetime | None = None) -> int:
    """Remind moderators, once a day, of every petition whose answer is overdue."""
    now = now or utcnow()
    rows = [
        (pid, number, title, due)
        for pid, number, title, due in await session.execute(
            select(Petition.id, Petition.number, Petition.title, Petition.answer_due_at).where(
                Petition.status.in_(AWAITING), Petition.answer_due_at < now
            )
        )
    ]
    if not rows:
        return 0
    return await notifications.answer_overdue(session, rows, now)
