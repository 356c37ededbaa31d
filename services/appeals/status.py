"""The status machine: the legal moves, and a move that loses no race."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from services.appeals.models import Appeal, AppealStatus
from services.db import utcnow
from services.errors import Conflict

OPEN_STATUSES: frozenset[AppealStatus] = frozenset(
    {
        AppealStatus.REGISTERED,
        AppealStatus.ASSIGNED,
        AppealStatus.IN_PROGRESS,
        AppealStatus.EXTENDED,
        AppealStatus.REOPENED,
    }
)

# The legal moves of the status machine; anything else is refused with a domain error.
TRANSITIONS: dict[AppealStatus, frozenset[AppealStatus]] = {
    AppealStatus.REGISTERED: frozenset(
        {AppealStatus.ASSIGNED, AppealStatus.IN_PROGRESS, AppealStatus.EXTENDED,
         AppealStatus.ANSWERED, AppealStatus.RETURNED, AppealStatus.MERGED}
    ),
    AppealStatus.ASSIGNED: frozenset(
        {AppealStatus.ASSIGNED, AppealStatus.IN_PROGRESS, AppealStatus.EXTENDED,
         AppealStatus.ANSWERED, AppealStatus.RETURNED, AppealStatus.MERGED}
    ),
    AppealStatus.IN_PROGRESS: frozenset(
        {AppealStatus.EXTENDED, AppealStatus.ANSWERED, AppealStatus.MERGED}
    ),
    AppealStatus.EXTENDED: frozenset(
        {AppealStatus.IN_PROGRESS, AppealStatus.ANSWERED, AppealStatus.MERGED}
    ),
    AppealStatus.REOPENED: frozenset(
        {AppealStatus.ASSIGNED, AppealStatus.IN_PROGRESS, AppealStatus.ANSWERED,
         AppealStatus.MERGED}
    ),
    AppealStatus.ANSWERED: frozenset({AppealStatus.CLOSED, AppealStatus.REOPENED}),
    AppealStatus.RETURNED: frozenset(),
    AppealStatus.CLOSED: frozenset(),
    AppealStatus.MERGED: frozenset(),
}

# Statuses a moderator sets directly; the others have their own action (extend, answer, ...).
MANUAL_STATUSES: tuple[AppealStatus, ...] = (AppealStatus.IN_PROGRESS, AppealStatus.CLOSED)


def can_move(current: str, target: AppealStatus) -> bool:
    return target in TRANSITIONS[AppealStatus(current)]


def is_open(appeal: Appeal) -> bool:
    return AppealStatus(appeal.status) in OPEN_STATUSES


def require_open(appeal: Appeal) -> None:
    if not is_open(appeal):
        raise Conflict("appeals.error.not_open", number=appeal.number,
                       status=appeal.status)


async def move(session: AsyncSession, appeal: Appeal, target: AppealStatus) -> None:
    """Move the status only if nobody moved it since we read it (a double tap, two moderators).

    A compare-and-set UPDATE: the loser of a race gets the same refusal as an illegal move,
    instead of a second history entry and a second notification.
    """
    current = appeal.status
    if not can_move(current, target):
        raise Conflict(
            "appeals.error.transition", number=appeal.number, status=current,
            target=target.value,
        )
    moved = await session.scalar(
        update(Appeal)
        .where(Appeal.id == appeal.id, Appeal.status == current)
        .values(status=target.value, updated_at=utcnow())
        .returning(Appeal.id)
        .execution_options(synchronize_session=False)
    )
    if moved is None:
        raise Conflict(
            "appeals.error.transition", number=appeal.number, status=current,
            target=target.value,
        )
    set_committed_value(appeal, "status", target.value)
