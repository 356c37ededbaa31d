"""Lists of polls, paged: open ones (closing soonest first), closed ones (newest first), and
the moderators' list with drafts and scheduled polls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import utcnow
from services.errors import PermissionDenied
from services.paging import Page, page_bounds
from services.polls.access import Staff, require_moderator
from services.polls.models import Poll, PollStatus
from services.polls.rules import PollRules


class PollList(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    STAFF = "staff"  # everything, drafts and not-yet-open included


@dataclass(frozen=True, slots=True)
class PollSummary:
    id: int
    question: str
    status: str
    opens_at: datetime
    closes_at: datetime
    districts: tuple[str, ...]
    answer_count: int


def _where(kind: PollList, now: datetime) -> Any:
    if kind is PollList.OPEN:
        return and_(Poll.status == PollStatus.PUBLISHED, Poll.opens_at <= now,
                    Poll.closes_at > now)
    if kind is PollList.CLOSED:
        return or_(Poll.status == PollStatus.CLOSED,
                   and_(Poll.status == PollStatus.PUBLISHED, Poll.closes_at <= now))
    return Poll.id.is_not(None)


_ORDER = {
    PollList.OPEN: (Poll.closes_at.asc(), Poll.id.asc()),
    PollList.CLOSED: (func.coalesce(Poll.closed_at, Poll.closes_at).desc(), Poll.id.desc()),
    PollList.STAFF: (Poll.created_at.desc(), Poll.id.desc()),
}


async def list_polls(session: AsyncSession, kind: PollList, *, page: int = 0,
                     rules: PollRules = PollRules(), staff: Staff | None = None,
                     now: datetime | None = None) -> Page[PollSummary]:
    """One page of a list; the staff list needs a moderator."""
    if kind is PollList.STAFF:
        if staff is None:
            raise PermissionDenied("polls.error.not_staff")
        await require_moderator(session, staff)
    now = now or utcnow()
    where = _where(kind, now)
    total = int(await session.scalar(select(func.count(Poll.id)).where(where)) or 0)
    page, pages = page_bounds(total, page, rules.page_size)
    rows = await session.execute(
        select(Poll.id, Poll.question, Poll.status, Poll.opens_at, Poll.closes_at,
               Poll.districts, Poll.answer_count)
        .where(where).order_by(*_ORDER[kind])
        .offset(page * rules.page_size).limit(rules.page_size)
    )
    items = tuple(PollSummary(r.id, r.question, r.status, r.opens_at, r.closes_at,
                              tuple(r.districts or ()), r.answer_count) for r in rows)
    return Page(items, page, pages, total)
