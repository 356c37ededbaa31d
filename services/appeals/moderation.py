"""What moderators do with an appeal: assign, statuses, the simple term, extend, return,
answer, merge. Each move is audited, written to the history and told to its followers."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services import audit, jobs, outbox
from services.appeals.followup import FOLLOWUP_TASK
from services.appeals.labels import status_label
from services.appeals.models import Appeal, AppealStatus, AttachmentKind
from services.appeals.notifications import notify_followers, record
from services.appeals.numbering import deadline_for, extension_deadline, latest_deadline
from services.appeals.queries import find_by_number, get
from services.appeals.rules import AppealRules
from services.appeals.status import (
    MANUAL_STATUSES,
    OPEN_STATUSES,
    can_move,
    move,
    require_open,
)
from services.appeals.supporters import add_supporters, followers
from services.appeals.validation import validate_department, validate_reason, validate_text
from services.appeals.views import Audience, view_for
from services.db import utcnow
from services.errors import Conflict, InvalidInput, NotFound
from services.i18n import Texts
from services.timeutil import format_date, local_today


async def assign(
    session: AsyncSession,
    rules: AppealRules,
    actor: str,
    appeal_id: int,
    *,
    department: str | None = None,
    assignee: str | None = None,
) -> Appeal:
    """Hand an open appeal to a department or a person (the staff member themselves)."""
    appeal = await get(session, appeal_id)
    require_open(appeal)
    if department is None and assignee is None:
        raise InvalidInput("appeals.error.bad_department")
    if department is not None:
        appeal.department = validate_department(rules, department)
    if assignee is not None:
        appeal.assignee = assignee
    if AppealStatus(appeal.status) in (
        AppealStatus.REGISTERED, AppealStatus.ASSIGNED, AppealStatus.REOPENED
    ):
        await move(session, appeal, AppealStatus.ASSIGNED)
    await record(session, appeal, AppealStatus.ASSIGNED, actor, department=appeal.department)
    await audit.record(session, actor, "appeal.assign", "appeal", appeal.id,
                       department=appeal.department, assignee=appeal.assignee)
    return appeal


async def set_status(
    session: AsyncSession, actor: str, appeal_id: int, status: AppealStatus
) -> Appeal:
    """The statuses without their own action (in progress, closed)."""
    if status not in MANUAL_STATUSES:
        raise InvalidInput("appeals.error.use_action")
    appeal = await get(session, appeal_id)
    await move(session, appeal, status)
    if status is AppealStatus.CLOSED:
        appeal.closed_at = utcnow()
    await record(session, appeal, status, actor)
    await audit.record(session, actor, f"appeal.{status.value}", "appeal", appeal.id)
    return appeal


async def mark_simple(
    session: AsyncSession, rules: AppealRules, actor: str, appeal_id: int, simple: bool = True,
    *, now: datetime | None = None,
) -> Appeal:
    """Art. 20: no extra study needed → 15 days instead of 30 (not once extended)."""
    appeal = await get(session, appeal_id)
    require_open(appeal)
    if appeal.extended:
        raise Conflict("appeals.error.simple_extended")
    before = appeal.deadline
    new_deadline = deadline_for(
        appeal.registered_at, rules.simple_days if simple else rules.answer_days
    )
    if simple and new_deadline < local_today(now):
        # Past day 15 the shorter term would be overdue at once: it no longer applies.
        raise Conflict("appeals.error.simple_too_late", days=rules.simple_days)
    appeal.is_simple = simple
    appeal.deadline = new_deadline
    await audit.record(session, actor, "appeal.simple", "appeal", appeal.id, simple=simple,
                       deadline=appeal.deadline.isoformat())
    await session.flush()
    if appeal.deadline != before:
        # The author was given a date at filing; a new one is theirs to know too.
        number, deadline = appeal.number, format_date(appeal.deadline)
        await outbox.notify_residents(
            session,
            await followers(session, appeal),
            lambda tr: tr("appeals.notify.deadline", number=number, deadline=deadline),
            dedupe=f"appeal:{appeal.id}:deadline:{utcnow().isoformat()}",
        )
    return appeal


def check_extension(
    appeal: Appeal, rules: AppealRules, new_deadline: date | None = None,
    now: datetime | None = None,
) -> None:
    """Can this appeal be extended (to `new_deadline`)? Raises the reason why not."""
    require_open(appeal)
    if appeal.extended:
        raise Conflict("appeals.error.already_extended", number=appeal.number)
    if not can_move(appeal.status, AppealStatus.EXTENDED):
        raise Conflict("appeals.error.transition", number=appeal.number)
    if new_deadline is None:
        return
    cap = latest_deadline(appeal, rules)
    if new_deadline > cap:
        raise InvalidInput("appeals.error.extend_cap", max_date=format_date(cap),
                           days=rules.max_days)
    # The cap is a working day, so a date within it stays within it when moved off a day off.
    new_deadline = extension_deadline(new_deadline)
    if new_deadline <= appeal.deadline or new_deadline < local_today(now):
        raise InvalidInput("appeals.error.extend_not_later", deadline=format_date(appeal.deadline))


async def extend(
    session: AsyncSession,
    rules: AppealRules,
    actor: str,
    appeal_id: int,
    *,
    new_deadline: date,
    reason: str,
    now: datetime | None = None,
) -> Appeal:
    """Art. 20: extend once, with a reason, never past 45 days after registration."""
    appeal = await get(session, appeal_id)
    check_extension(appeal, rules, new_deadline, now)
    reason = validate_reason(rules, reason)
    new_deadline = extension_deadline(new_deadline)
    await move(session, appeal, AppealStatus.EXTENDED)
    appeal.extended = True
    appeal.extension_reason = reason
    appeal.deadline = new_deadline
    await record(session, appeal, AppealStatus.EXTENDED, actor, reason=reason,
                 new_deadline=new_deadline)
    await audit.record(session, actor, "appeal.extend", "appeal", appeal.id,
                       deadline=new_deadline.isoformat(), reason=reason)
    return appeal


def check_returnable(appeal: Appeal, rules: AppealRules, now: datetime | None = None) -> None:
    """Art. 5: only an appeal not yet in work, and within `return_days` of registration."""
    if not can_move(appeal.status, AppealStatus.RETURNED):
        raise Conflict("appeals.error.transition", number=appeal.number)
    if local_today(now) > deadline_for(appeal.registered_at, rules.return_days):
        raise Conflict("appeals.error.return_late", days=rules.return_days)


async def return_appeal(
    session: AsyncSession,
    rules: AppealRules,
    actor: str,
    appeal_id: int,
    reason: str,
    now: datetime | None = None,
) -> Appeal:
    """Art. 5: a non-compliant appeal goes back to its author with the reason, within 10 days."""
    appeal = await get(session, appeal_id)
    check_returnable(appeal, rules, now)
    reason = validate_reason(rules, reason)
    await move(session, appeal, AppealStatus.RETURNED)
    appeal.returned_reason = reason
    appeal.closed_at = now or utcnow()
    await record(session, appeal, AppealStatus.RETURNED, actor, reason=reason)
    await audit.record(session, actor, "appeal.return", "appeal", appeal.id, reason=reason)
    return appeal


async def answer(
    session: AsyncSession,
    rules: AppealRules,
    actor: str,
    appeal_id: int,
    text: str,
    *,
    file_id: str | None = None,
    file_kind: AttachmentKind | None = None,
    now: datetime | None = None,
) -> Appeal:
    """Record the answer, send it (with the file) to the author, plan the follow-up question."""
    appeal = await get(session, appeal_id)
    text = validate_text(rules, text)
    if (file_id is None) != (file_kind is None):
        raise InvalidInput("appeals.error.file_type")
    now = now or utcnow()
    await move(session, appeal, AppealStatus.ANSWERED)
    appeal.answer_text = text
    appeal.answer_file_id = file_id
    appeal.answer_file_kind = file_kind.value if file_kind else None
    appeal.answered_at = now
    appeal.followup_asked_at = None
    appeal.followup_answered_at = None
    appeal.resolved = None
    event = await record(session, appeal, AppealStatus.ANSWERED, actor, notify=False)
    number = appeal.number
    # Supporters read the answer itself only when the author made the appeal public.
    shown = view_for(appeal, Audience.SUPPORTER).answer

    def render_for_supporters(tr: Texts) -> str:
        if shown:
            return tr("appeals.notify.supporter_answered", number=number, answer=shown)
        return tr("appeals.notify.supporter", number=number,
                  status=status_label(tr, AppealStatus.ANSWERED.value))

    await notify_followers(
        session,
        appeal,
        lambda tr: tr("appeals.notify.answered", number=number, answer=text),
        render_for_supporters,
        dedupe=f"appeal:{appeal.id}:ev:{event.id}",
    )
    if file_id is not None:
        def render_file(tr: Texts) -> str:
            return tr("appeals.notify.answer_file", number=number)

        await notify_followers(
            session,
            appeal,
            render_file,
            render_file if shown else None,
            dedupe=f"appeal:{appeal.id}:ev:{event.id}:file",
            photo=file_id if file_kind is AttachmentKind.PHOTO else None,
            document=file_id if file_kind is AttachmentKind.DOCUMENT else None,
        )
    await jobs.schedule(
        session,
        FOLLOWUP_TASK,
        now + timedelta(days=rules.followup_days),
        {"appeal_id": appeal.id, "event_id": event.id},
        dedupe_key=f"appeal:{appeal.id}:followup:{event.id}",
    )
    await audit.record(session, actor, "appeal.answer", "appeal", appeal.id,
                       file=bool(file_id))
    return appeal


async def merge(session: AsyncSession, actor: str, appeal_id: int, into_id: int) -> Appeal:
    """Close a duplicate into another open appeal; its author and supporters follow that one."""
    if appeal_id == into_id:
        raise InvalidInput("appeals.error.merge_self")
    duplicate = await get(session, appeal_id)
    target = await get(session, into_id)
    if AppealStatus(target.status) not in OPEN_STATUSES:
        raise Conflict("appeals.error.merge_target_closed", number=target.number)
    await move(session, duplicate, AppealStatus.MERGED)
    duplicate.merged_into_id = target.id
    duplicate.closed_at = utcnow()
    others = [rid for rid in await followers(session, duplicate) if rid != target.author_id]
    await add_supporters(session, target.id, others)
    await record(session, duplicate, AppealStatus.MERGED, actor, reason=target.number)
    await audit.record(session, actor, "appeal.merge", "appeal", duplicate.id,
                       into=target.number)
    return duplicate


async def merge_target(session: AsyncSession, appeal_id: int, raw: str | None) -> Appeal:
    """The open appeal whose number a moderator typed to merge `appeal_id` into; why not as
    InvalidInput, so the same question is asked again (`merge` checks it all once more)."""
    try:
        target = await find_by_number(session, raw or "")
    except NotFound as err:
        raise InvalidInput(err.message_key, **err.params) from None
    if target.id == appeal_id:
        raise InvalidInput("appeals.error.merge_self")
    if AppealStatus(target.status) not in OPEN_STATUSES:
        raise InvalidInput("appeals.error.merge_target_closed", number=target.number)
    return target
