"""The moderators' daily digest: which open appeals are overdue or due within a few days."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import outbox
from services.appeals.models import Appeal
from services.appeals.rules import AppealRules
from services.appeals.status import OPEN_STATUSES
from services.db import utcnow
from services.models import Role
from services.timeutil import format_date, local_today

DIGEST_LINES = 30


async def due_soon(
    session: AsyncSession, rules: AppealRules, now: datetime | None = None
) -> tuple[list[Appeal], list[Appeal]]:
    """(overdue, due within `due_soon_days`) open appeals, earliest deadline first."""
    today = local_today(now)
    rows = list(
        await session.scalars(
            select(Appeal)
            .where(
                Appeal.status.in_([s.value for s in OPEN_STATUSES]),
                Appeal.deadline <= today + timedelta(days=rules.due_soon_days),
            )
            .order_by(Appeal.deadline, Appeal.id)
        )
    )
    return [a for a in rows if a.deadline < today], [a for a in rows if a.deadline >= today]


def _lines(items: list[Appeal]) -> str:
    shown = [f"• {a.number} — {format_date(a.deadline)}" for a in items[:DIGEST_LINES]]
    if len(items) > DIGEST_LINES:
        shown.append(f"… +{len(items) - DIGEST_LINES}")
    return "\n".join(shown) or "—"


async def send_digest(
    session: AsyncSession, rules: AppealRules = AppealRules(), now: datetime | None = None
) -> int:
    """Tell moderators which appeals are overdue or due within three days (once a day)."""
    now = now or utcnow()
    overdue, soon = await due_soon(session, rules, now)
    if not overdue and not soon:
        return 0
    overdue_text, soon_text = _lines(overdue), _lines(soon)
    staff = await outbox.staff_recipients(session, Role.MODERATOR)
    return await outbox.notify(
        session,
        staff,
        lambda tr: tr(
            "appeals.staff.digest",
            overdue=tr.plural("appeals.count", len(overdue)),
            soon=tr.plural("appeals.count", len(soon)),
            overdue_list=overdue_text,
            soon_list=soon_text,
        ),
        dedupe=f"appeals:digest:{local_today(now).isoformat()}",
    )
