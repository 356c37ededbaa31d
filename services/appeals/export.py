"""The register of a period as CSV for the council's records (audited)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit, exports
from services.appeals.models import Appeal
from services.appeals.numbering import days_taken
from services.errors import InvalidInput
from services.timeutil import local_midnight, to_local

EXPORT_COLUMNS = (
    "number", "registered", "deadline", "answered", "type", "category", "status",
    "department", "days_taken",
)


def _cells(a: Appeal) -> list[Any]:
    taken = days_taken(a)
    return [
        a.number,
        to_local(a.registered_at).date().isoformat(),
        a.deadline.isoformat(),
        to_local(a.answered_at).date().isoformat() if a.answered_at else "",
        a.type,
        a.category,
        a.status,
        a.department or "",
        "" if taken is None else taken,
    ]


async def export_csv(session: AsyncSession, actor: str, date_from: date, date_to: date) -> str:
    """The register for a period (by the council's registration date, inclusive) as CSV; audited."""
    if date_to < date_from:
        raise InvalidInput("appeals.error.period")
    rows = [
        a
        for a in await session.scalars(
            select(Appeal)
            .where(
                Appeal.registered_at >= local_midnight(date_from) - timedelta(days=1),
                Appeal.registered_at < local_midnight(date_to) + timedelta(days=2),
            )
            .order_by(Appeal.year, Appeal.seq)
        )
        if date_from <= to_local(a.registered_at).date() <= date_to
    ]
    text = exports.csv_text(EXPORT_COLUMNS, (_cells(a) for a in rows))
    await audit.record(session, actor, "appeals.export", "appeals", None,
                       date_from=date_from.isoformat(), date_to=date_to.isoformat(),
                       rows=len(rows))
    return text
