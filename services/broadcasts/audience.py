"""Who a broadcast reaches: a topic's followers (or everyone), optionally in one district."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import outbox
from services.db import utcnow
from services.events.models import Subscription as Sub
from services.events.models import Topic
from services.models import Channel, ChannelIdentity, InboundEvent, Resident

# Viber charges for a message outside a 24-hour session, which a subscriber's own message
# opens (VIBER.md §1, billing).
VIBER_SESSION = timedelta(hours=24)


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


@dataclass(frozen=True, slots=True)
class ViberShare:
    """How many of a broadcast's messages go to Viber, and of those, to subscribers who have
    not written within Viber's 24-hour session: the ones Viber charges the council for."""

    recipients: int = 0
    billable: int = 0


async def viber_share(session: AsyncSession, audience: Audience,
                      now: datetime | None = None) -> ViberShare:
    """Kept callbacks (two days of them) tell who wrote within the session."""
    on_viber = audience_rows(audience).where(ChannelIdentity.channel == Channel.VIBER.value)
    total = int(await session.scalar(
        select(func.count()).select_from(on_viber.subquery())) or 0)
    if total == 0:
        return ViberShare()
    wrote = select(InboundEvent.sender).where(
        InboundEvent.channel == Channel.VIBER.value,
        InboundEvent.received_at >= (now or utcnow()) - VIBER_SESSION)
    billable = int(await session.scalar(select(func.count()).select_from(
        on_viber.where(ChannelIdentity.chat_id.not_in(wrote)).subquery())) or 0)
    return ViberShare(total, billable)
