"""Where a petition stands: who may see it, whether it is open, and the one status change.

Status changes are conditional `UPDATE ... WHERE status IN (...)`: of two concurrent presses
one wins, the other gets the action's "already done" error, across sessions and processes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import utcnow
from services.errors import Conflict, NotFound
from services.petitions.models import Petition, PetitionStatus
from services.timeutil import as_utc, end_of_day, statutory_deadline

__all__ = [
    "AWAITING",
    "CONSIDERED",
    "OPEN_FOR_SIGNING",
    "PUBLIC",
    "days_left",
    "get",
    "is_open",
    "is_visible",
    "transition",
    "working_days_due",
]

# Signatures are accepted until the deadline, also after the threshold was reached.
OPEN_FOR_SIGNING = (PetitionStatus.COLLECTING, PetitionStatus.AWAITING_ANSWER)
# What anyone may see; drafts, rejected and hidden petitions only their author and staff.
PUBLIC = (
    PetitionStatus.COLLECTING,
    PetitionStatus.AWAITING_ANSWER,
    PetitionStatus.UNDER_CONSIDERATION,
    PetitionStatus.ANSWERED,
    PetitionStatus.NOT_ENOUGH_SIGNATURES,
)
CONSIDERED = (
    PetitionStatus.AWAITING_ANSWER,
    PetitionStatus.UNDER_CONSIDERATION,
    PetitionStatus.ANSWERED,
)
AWAITING = (PetitionStatus.AWAITING_ANSWER, PetitionStatus.UNDER_CONSIDERATION)


async def get(session: AsyncSession, petition_id: int) -> Petition:
    petition = await session.get(Petition, petition_id)
    if petition is None:
        raise NotFound("petition.error.not_found")
    return petition


def is_visible(petition: Petition, viewer_id: int | None, is_staff: bool) -> bool:
    return (
        is_staff
        or petition.status in PUBLIC
        or (viewer_id is not None and petition.author_id == viewer_id)
    )


def is_open(petition: Petition, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        petition.status in OPEN_FOR_SIGNING
        and petition.deadline is not None
        and as_utc(petition.deadline) > now
    )


def days_left(petition: Petition, now: datetime | None = None) -> int | None:
    if petition.deadline is None or petition.status not in OPEN_FOR_SIGNING:
        return None
    seconds = (as_utc(petition.deadline) - (now or utcnow())).total_seconds()
    return max(0, math.ceil(seconds / 86400))


def working_days_due(start: datetime, working_days: int) -> datetime:
    """Art. 23-1 terms (publication, consideration): the end of the last of `working_days`."""
    return end_of_day(statutory_deadline(start, working_days, working_days=True))


async def transition(
    session: AsyncSession,
    petition_id: int,
    from_statuses: Sequence[PetitionStatus],
    error_key: str,
    **values: object,
) -> Petition:
    """Change status only from the expected ones, atomically; a stale press gets `error_key`."""
    await get(session, petition_id)
    won = (
        await session.execute(
            update(Petition)
            .where(Petition.id == petition_id, Petition.status.in_(from_statuses))
            .values(**values)
            .returning(Petition.id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if won is None:
        raise Conflict(error_key)
    petition = await session.get(Petition, petition_id, populate_existing=True)
    assert petition is not None
    return petition
