"""Which topics a resident hears about, and who hears about a topic."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import insert_ignoring_conflicts, utcnow
from services.errors import InvalidInput
from services.events.models import POPULAR_TOPICS, Subscription, Topic
from services.i18n import Texts
from services.models import Resident

ALL_TOPICS: tuple[Topic, ...] = tuple(Topic)


def parse_topic(raw: str) -> Topic:
    try:
        return Topic(raw)
    except ValueError:
        raise InvalidInput("subscriptions.topic_unknown") from None


def topic_name(tr: Texts, topic: Topic) -> str:
    """A topic in the reader's language."""
    return tr(f"subscriptions.topic.{topic.value}")


async def topics_of(session: AsyncSession, resident_id: int) -> set[Topic]:
    rows = await session.execute(
        select(Subscription.topic).where(Subscription.resident_id == resident_id)
    )
    return {Topic(t) for t in rows.scalars().all() if t in Topic.__members__.values()}


async def subscribe(session: AsyncSession, resident_id: int, topics: Iterable[Topic]) -> None:
    """Add topics (already followed ones are left as they are)."""
    rows = [{"resident_id": resident_id, "topic": Topic(t).value, "created_at": utcnow()}
            for t in set(topics)]
    if rows:
        await session.execute(insert_ignoring_conflicts(session, Subscription.__table__), rows)


async def unsubscribe(session: AsyncSession, resident_id: int, topic: Topic) -> None:
    await session.execute(
        delete(Subscription).where(
            Subscription.resident_id == resident_id, Subscription.topic == topic.value
        )
    )


async def toggle(session: AsyncSession, resident_id: int, topic: Topic) -> bool:
    """Flip one topic; returns whether the resident follows it now."""
    if topic in await topics_of(session, resident_id):
        await unsubscribe(session, resident_id, topic)
        return False
    await subscribe(session, resident_id, [topic])
    return True


async def subscribe_popular(session: AsyncSession, resident_id: int) -> set[Topic]:
    await subscribe(session, resident_id, POPULAR_TOPICS)
    return set(POPULAR_TOPICS)


async def subscriber_ids(
    session: AsyncSession, topic: Topic, district: str | None = None
) -> list[int]:
    """Active residents following `topic` (optionally only those of one district)."""
    query = (
        select(Subscription.resident_id)
        .join(Resident, Resident.id == Subscription.resident_id)
        .where(Subscription.topic == topic.value, Resident.is_active.is_(True))
    )
    if district:
        query = query.where(Resident.district == district)
    return list((await session.execute(query)).scalars().all())
