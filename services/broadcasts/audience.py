"""Who a broadcast reaches: a topic's followers (or everyone), optionally in one district."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import outbox
from services.events.models import Subscription as Sub
from services.events.models import Topic
from services.models import Resident


@dataclass(frozen=True, slots=True)
class Audience:
    topic: Topic | None = None  # None: everyone reachable
    district: str | None = None


def audience_rows(audience: Audience) -> Select[Any]:
    """Rows of `outbox.Recipient` for every reachable chat of the audience."""
    query = outbox.reachable_recipients()
    if audience.topic is not None:
        query = query.where(
            select(Sub.id)
            .where(Sub.resident_id == Resident.id, Sub.topic == audience.topic.value)
            .exists()
        )
    if audience.district:
        # SQLite's lower() knows ASCII only, so match the usual spellings of a Cyrillic name.
        d = audience.district
        query = query.where(Resident.district.in_({d, d.lower(), d.capitalize(), d.title(),
                                                   d.upper()}))
    return query


async def count_audience(session: AsyncSession, audience: Audience) -> int:
    """How many messages a broadcast to this audience would send (one per reachable chat)."""
    subquery = audience_rows(audience).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)


async def has_audience(session: AsyncSession, audience: Audience) -> bool:
    """Whether anyone at all would get it: stops at the first recipient, unlike a count."""
    return bool(await session.scalar(select(audience_rows(audience).limit(1).exists())))
