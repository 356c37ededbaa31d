"""Reading the register: one appeal, its history, a resident's appeals and the staff queue."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.appeals.models import Appeal, AppealEvent, AppealSupporter
from services.appeals.numbering import NUMBER_PREFIX
from services.appeals.status import OPEN_STATUSES
from services.appeals.supporters import is_supporter
from services.appeals.views import AppealView, Audience, view_for
from services.errors import NotFound
from services.ids import parse_row_id
from services.models import Petition
from services.timeutil import as_utc


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Appeal]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


async def _paged(
    session: AsyncSession, query: Select[tuple[Appeal]], page: int, per_page: int
) -> Page:
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 0), pages - 1)
    items = list(await session.scalars(query.offset(page * per_page).limit(per_page)))
    return Page(items, total, page, per_page)


async def get(session: AsyncSession, appeal_id: int) -> Appeal:
    appeal = await session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound("appeals.error.not_found")
    return appeal


async def find_by_number(session: AsyncSession, raw: str) -> Appeal:
    """An appeal by its full number (`З-2026-000123`) or by its id."""
    value = raw.strip().upper()
    if value.isdigit():
        appeal_id = parse_row_id(value)  # a number no row can have is not found, not an error
        if appeal_id is None:
            raise NotFound("appeals.error.not_found")
        return await get(session, appeal_id)
    if value[:2] in ("3-", "Z-"):  # a digit three or a Latin Z typed for the Cyrillic letter
        value = NUMBER_PREFIX + value[1:]
    appeal = await session.scalar(select(Appeal).where(Appeal.number == value))
    if appeal is None:
        raise NotFound("appeals.error.not_found")
    return appeal


async def history(session: AsyncSession, appeal_id: int) -> list[AppealEvent]:
    return list(
        await session.scalars(
            select(AppealEvent)
            .where(AppealEvent.appeal_id == appeal_id)
            .order_by(AppealEvent.created_at, AppealEvent.id)
        )
    )


async def card_for(session: AsyncSession, appeal_id: int, resident_id: int) -> AppealView:
    """An appeal's card as its author or a supporter may see it; anyone else gets NotFound."""
    appeal = await get(session, appeal_id)
    if appeal.author_id == resident_id:
        audience = Audience.AUTHOR
    elif await is_supporter(session, appeal_id, resident_id):
        audience = Audience.SUPPORTER
    else:
        raise NotFound("appeals.error.not_found")
    return view_for(appeal, audience, await history(session, appeal.id))


async def source_petition(session: AsyncSession, appeal: Appeal) -> Petition | None:
    """The e-petition considered as this appeal (Art. 23-1), if it came from one."""
    if appeal.petition_id is None:
        return None
    return await session.get(Petition, appeal.petition_id)


async def my_appeals(
    session: AsyncSession, resident_id: int, page: int = 0, per_page: int = 5
) -> Page:
    """Appeals the resident filed or supports, newest first."""
    supported = select(AppealSupporter.appeal_id).where(
        AppealSupporter.resident_id == resident_id
    )
    query = (
        select(Appeal)
        .where((Appeal.author_id == resident_id) | Appeal.id.in_(supported))
        .order_by(Appeal.registered_at.desc(), Appeal.id.desc())
    )
    return await _paged(session, query, page, per_page)


@dataclass(frozen=True, slots=True)
class QueueGroup:
    category: str
    count: int
    oldest: datetime


def _open() -> Select[tuple[Appeal]]:
    return select(Appeal).where(Appeal.status.in_([s.value for s in OPEN_STATUSES]))


async def queue_summary(session: AsyncSession) -> list[QueueGroup]:
    """Open appeals per category, the category with the oldest appeal first."""
    rows = await session.execute(
        select(Appeal.category, func.count(), func.min(Appeal.registered_at))
        .where(Appeal.status.in_([s.value for s in OPEN_STATUSES]))
        .group_by(Appeal.category)
        .order_by(func.min(Appeal.registered_at))
    )
    return [QueueGroup(cat, int(n), as_utc(oldest)) for cat, n, oldest in rows.all()]


async def queue(
    session: AsyncSession, category: str | None = None, page: int = 0, per_page: int = 5
) -> Page:
    """Open appeals, oldest first (optionally of one category)."""
    query = _open()
    if category:
        query = query.where(Appeal.category == category)
    return await _paged(session, query.order_by(Appeal.registered_at, Appeal.id), page, per_page)
