"""Residents following deputies: follow, unfollow, and who follows whom."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import insert_ignoring_conflicts
from services.errors import NotFound
from services.votes.models import Deputy, DeputyFollow
from services.votes.views import DeputyRef, deputies_select, deputy_ref, sort_deputies


async def follow(db: AsyncSession, resident_id: int, deputy_id: int) -> bool:
    """Start following; False when the resident already followed this deputy."""
    if await db.get(Deputy, deputy_id) is None:
        raise NotFound("votes.error.deputy_not_found")
    stmt = (insert_ignoring_conflicts(db, DeputyFollow.__table__)
            .values(resident_id=resident_id, deputy_id=deputy_id)
            .returning(DeputyFollow.__table__.c.deputy_id))
    return (await db.execute(stmt)).first() is not None


async def unfollow(db: AsyncSession, resident_id: int, deputy_id: int) -> bool:
    """Stop following; False when the resident did not follow this deputy."""
    result = await db.execute(delete(DeputyFollow).where(
        DeputyFollow.resident_id == resident_id, DeputyFollow.deputy_id == deputy_id,
    ).returning(DeputyFollow.deputy_id))
    return result.first() is not None


async def is_following(db: AsyncSession, resident_id: int, deputy_id: int) -> bool:
    return await db.get(DeputyFollow, (resident_id, deputy_id)) is not None


async def followed_by(db: AsyncSession, resident_id: int) -> tuple[DeputyRef, ...]:
    """The deputies a resident follows, in Ukrainian alphabetical order."""
    rows = await db.execute(deputies_select()
                            .join(DeputyFollow, DeputyFollow.deputy_id == Deputy.id)
                            .where(DeputyFollow.resident_id == resident_id))
    return tuple(sort_deputies([deputy_ref(r) for r in rows]))


async def followers_of(db: AsyncSession, deputy_id: int) -> tuple[int, ...]:
    """Resident ids following a deputy, in the order they started."""
    rows = await db.scalars(select(DeputyFollow.resident_id)
                            .where(DeputyFollow.deputy_id == deputy_id)
                            .order_by(DeputyFollow.created_at, DeputyFollow.resident_id))
    return tuple(rows)
