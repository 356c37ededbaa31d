"""A petition that did not gather the signatures is considered as an appeal (Art. 23-1).

The appeal is registered in the closing transaction, by whichever process won the closing
UPDATE, so it exists exactly once (a unique petition_id backs that up). Without an author
to answer (Art. 8) no appeal is registered: staff and the audit log say why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services import appeals, audit, outbox
from services.models import Resident
from services.petitions.notifications import render_counted
from services.timeutil import format_date

__all__ = ["Expired", "consider_as_appeal"]


@dataclass(frozen=True, slots=True)
class Expired:
    """What the closing UPDATE returned of one petition."""

    id: int
    number: int | None
    title: str
    text: str
    category: str | None
    author_id: int | None
    signature_count: int
    threshold: int | None


async def consider_as_appeal(
    session: AsyncSession,
    appeal_rules: appeals.AppealRules,
    petition: Expired,
    staff: list[outbox.Recipient],
    now: datetime,
) -> None:
    """Register the appeal and tell the author and the moderators its number and term."""
    pid, number, title, count = (petition.id, petition.number, petition.title,
                                 petition.signature_count)
    author_id = petition.author_id
    author = await session.get(Resident, author_id) if author_id is not None else None
    appeal = await appeals.register_from_petition(
        session, appeal_rules, petition_id=pid, author=author, text=petition.text,
        category=petition.category, now=now,
    )
    dedupe = f"petition:{pid}:expired"
    if appeal is None or author_id is None:
        await audit.record(session, "system", "petition.not_considered_anonymous",
                           "petition", pid, number=number)
        await outbox.notify(
            session, staff,
            render_counted("petition.notify.expired_anonymous_staff", count,
                           number=number, title=title),
            dedupe=dedupe, now=now,
        )
        return
    appeal_number, due = appeal.number, format_date(appeal.deadline)
    await outbox.notify_residents(
        session,
        [author_id],
        render_counted("petition.notify.expired", count, number=number, title=title,
                       threshold=petition.threshold or 0, appeal=appeal_number, deadline=due),
        dedupe=dedupe,
        now=now,
    )
    await outbox.notify(
        session,
        staff,
        render_counted("petition.notify.expired_staff", count, number=number, title=title,
                       appeal=appeal_number, deadline=due),
        dedupe=dedupe,
        now=now,
    )
