"""Figures for `/stats`: counts, median days to answer, share on time, satisfaction."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.appeals.models import Appeal
from services.appeals.numbering import answered_on_time, days_taken


@dataclass(frozen=True, slots=True)
class AppealStats:
    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    answered: int = 0
    median_days: float | None = None
    on_time_share: float | None = None
    satisfaction: float | None = None
    rated: int = 0


async def stats(session: AsyncSession) -> AppealStats:
    """Figures for `/stats`: counts, median days to answer, share on time, satisfaction."""
    by_status = {
        s: int(n)
        for s, n in (
            await session.execute(select(Appeal.status, func.count()).group_by(Appeal.status))
        ).all()
    }
    by_category = {
        c: int(n)
        for c, n in (
            await session.execute(
                select(Appeal.category, func.count()).group_by(Appeal.category)
            )
        ).all()
    }
    answered = list(await session.scalars(select(Appeal).where(Appeal.answered_at.is_not(None))))
    taken = [d for d in (days_taken(a) for a in answered) if d is not None]
    on_time = [bool(answered_on_time(a)) for a in answered]
    ratings = [
        int(r)
        for r in await session.scalars(
            select(Appeal.satisfaction).where(Appeal.satisfaction.is_not(None))
        )
        if r is not None
    ]
    return AppealStats(
        total=sum(by_status.values()),
        by_status=by_status,
        by_category=by_category,
        answered=len(answered),
        median_days=float(statistics.median(taken)) if taken else None,
        on_time_share=(sum(on_time) / len(on_time)) if on_time else None,
        satisfaction=(sum(ratings) / len(ratings)) if ratings else None,
        rated=len(ratings),
    )
