"""Every status change goes into the history and, in the same transaction, to the outbox:
the author reads everything, supporters what `view_for` lets them see."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services import outbox
from services.appeals.labels import department_label, status_label
from services.appeals.models import Appeal, AppealEvent, AppealStatus
from services.appeals.supporters import supporter_ids
from services.appeals.views import Audience, view_for
from services.db import utcnow
from services.i18n import Texts
from services.timeutil import format_date


async def notify_followers(
    session: AsyncSession,
    appeal: Appeal,
    for_author: outbox.Render,
    for_supporters: outbox.Render | None,
    *,
    dedupe: str,
    **kwargs: Any,
) -> None:
    """Tell the author one thing and the supporters what `view_for` lets them see."""
    if appeal.author_id is not None:
        await outbox.notify_residents(session, [appeal.author_id], for_author, dedupe=dedupe,
                                      **kwargs)
    supporters = await supporter_ids(session, appeal)
    if supporters and for_supporters is not None:
        await outbox.notify_residents(session, supporters, for_supporters, dedupe=dedupe,
                                      **kwargs)


async def record(
    session: AsyncSession,
    appeal: Appeal,
    status: AppealStatus,
    actor: str,
    *,
    reason: str | None = None,
    department: str | None = None,
    new_deadline: date | None = None,
    notify: bool = True,
) -> AppealEvent:
    """Write the history entry and queue the change to the author and supporters."""
    event = AppealEvent(
        appeal_id=appeal.id,
        status=status.value,
        actor=actor,
        reason=reason,
        department=department,
        new_deadline=new_deadline,
        created_at=utcnow(),
    )
    session.add(event)
    await session.flush()
    if notify:
        number = appeal.number
        deadline = format_date(new_deadline or appeal.deadline)
        # What a supporter may read of this change (reasons only of a public appeal).
        shown = view_for(appeal, Audience.SUPPORTER, [event]).history[0].reason

        def render(tr: Texts) -> str:
            return tr(
                f"appeals.notify.{status.value}",
                number=number,
                status=status_label(tr, status.value),
                reason=reason or "",
                deadline=deadline,
                department=department_label(tr, department) if department else "",
            )

        def render_for_supporters(tr: Texts) -> str:
            if status is AppealStatus.MERGED:
                return render(tr)  # names the appeal they now follow, nothing personal
            text = tr("appeals.notify.supporter", number=number,
                      status=status_label(tr, status.value))
            if new_deadline is not None:
                text += "\n" + tr("appeals.notify.supporter_deadline", deadline=deadline)
            if shown:
                text += "\n" + tr("appeals.notify.supporter_reason", reason=shown)
            return text

        await notify_followers(session, appeal, render, render_for_supporters,
                               dedupe=f"appeal:{appeal.id}:ev:{event.id}")
    return event
