"""Four weeks after the answer: was the issue resolved? Yes closes, no reopens; then a mark."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import outbox
from services.appeals.models import Appeal, AppealEvent, AppealStatus
from services.appeals.notifications import record
from services.appeals.queries import get
from services.appeals.rules import AppealRules
from services.appeals.status import move
from services.appeals.validation import validate_reason
from services.db import utcnow
from services.errors import Conflict, InvalidInput, NotFound
from services.models import Resident, Role
from services.timeutil import as_utc

FOLLOWUP_TASK = "appeals.followup"
# The action of the follow-up question's buttons (with `appeal_id` and `answer`, "yes"/"no");
# the appeals feature packs it for its channel (handlers/appeals declares the press).
FOLLOWUP_PRESS = "appeals.followup"


async def ask_followup(
    session: AsyncSession, appeal_id: int, now: datetime | None = None,
    event_id: int | None = None,
) -> bool:
    """Ask the author whether the issue was resolved (once per answer). True if asked now.

    `event_id` is the answer the question belongs to: the job of an earlier answer (reopened,
    then answered again) must not ask before four weeks have passed since the latest one.
    """
    appeal = await session.get(Appeal, appeal_id)
    if (
        appeal is None
        or appeal.status != AppealStatus.ANSWERED
        or appeal.followup_asked_at is not None
        or appeal.author_id is None
    ):
        return False
    if event_id is not None:
        latest = await session.scalar(
            select(func.max(AppealEvent.id)).where(
                AppealEvent.appeal_id == appeal.id,
                AppealEvent.status == AppealStatus.ANSWERED.value,
            )
        )
        if latest != event_id:
            return False
    appeal.followup_asked_at = now or utcnow()
    number = appeal.number
    await outbox.notify_residents(
        session,
        [appeal.author_id],
        lambda tr: tr("appeals.followup.question", number=number),
        dedupe=f"appeal:{appeal.id}:followup:{as_utc(appeal.answered_at or utcnow()).isoformat()}",
        buttons=lambda tr: [[
            outbox.press_button(tr("appeals.followup.yes"), FOLLOWUP_PRESS,
                                appeal_id=appeal_id, answer="yes"),
            outbox.press_button(tr("appeals.followup.no"), FOLLOWUP_PRESS,
                                appeal_id=appeal_id, answer="no"),
        ]],
    )
    await session.flush()
    return True


async def followup_reply(
    session: AsyncSession,
    rules: AppealRules,
    resident: Resident,
    appeal_id: int,
    *,
    resolved: bool,
    comment: str | None = None,
) -> Appeal:
    """Yes closes the appeal; no reopens it for staff with the resident's comment."""
    appeal = await get(session, appeal_id)
    if appeal.author_id != resident.id:
        raise NotFound("appeals.error.not_found")
    if appeal.status != AppealStatus.ANSWERED or appeal.followup_answered_at is not None:
        raise Conflict("appeals.error.followup_done", number=appeal.number)
    if not resolved:
        comment = validate_reason(rules, comment)
    actor = f"resident:{resident.id}"
    appeal.followup_answered_at = utcnow()
    appeal.resolved = resolved
    if resolved:
        await move(session, appeal, AppealStatus.CLOSED)
        appeal.closed_at = utcnow()
        await record(session, appeal, AppealStatus.CLOSED, actor)
        return appeal
    appeal.followup_comment = comment
    await move(session, appeal, AppealStatus.REOPENED)
    event = await record(session, appeal, AppealStatus.REOPENED, actor, reason=comment)
    number = appeal.number
    staff = await outbox.staff_recipients(session, Role.MODERATOR)
    await outbox.notify(
        session,
        staff,
        lambda tr: tr("appeals.staff.reopened", number=number, comment=comment),
        dedupe=f"appeal:{appeal.id}:staff:{event.id}",
    )
    return appeal


async def may_comment(session: AsyncSession, resident: Resident, appeal_id: int) -> Appeal:
    """The appeal whose author may still say it is not resolved (before typing why)."""
    appeal = await get(session, appeal_id)
    if appeal.author_id != resident.id:
        raise NotFound("appeals.error.not_found")
    if appeal.followup_answered_at is not None or appeal.status != AppealStatus.ANSWERED:
        raise InvalidInput("appeals.error.followup_done", number=appeal.number)
    return appeal


async def rate(session: AsyncSession, resident: Resident, appeal_id: int, score: int) -> Appeal:
    """A 1–5 satisfaction mark for an answered appeal, kept for statistics."""
    if not 1 <= score <= 5:
        raise InvalidInput("appeals.error.rating")
    appeal = await get(session, appeal_id)
    if appeal.author_id != resident.id:
        raise NotFound("appeals.error.not_found")
    if appeal.answered_at is None:
        raise Conflict("appeals.error.rating_unanswered")
    appeal.satisfaction = score
    await session.flush()
    return appeal
