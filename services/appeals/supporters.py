"""Residents who back an appeal instead of filing a duplicate, and everyone who follows it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.appeals.models import Appeal, AppealSupporter
from services.db import insert_ignoring_conflicts, utcnow


async def supporter_ids(session: AsyncSession, appeal: Appeal) -> list[int]:
    return list(
        await session.scalars(
            select(AppealSupporter.resident_id).where(AppealSupporter.appeal_id == appeal.id)
        )
    )


async def followers(session: AsyncSession, appeal: Appeal) -> list[int]:
    """The author (first, if still known) and the supporters."""
    ids = await supporter_ids(session, appeal)
    if appeal.author_id is not None:
        ids.insert(0, appeal.author_id)
    return ids


async def add_supporters(session: AsyncSession, appeal_id: int, resident_ids: list[int]) -> int:
    """Back the appeal for each of them (once each); how many were added."""
    added = 0
    now = utcnow()
    for rid in resident_ids:
        stmt = (
            insert_ignoring_conflicts(session, AppealSupporter.__table__)
            .values(appeal_id=appeal_id, resident_id=rid, created_at=now)
            .returning(AppealSupporter.__table__.c.id)
        )
        if (await session.execute(stmt)).first() is not None:
            added += 1
    return added


async def supporters_count(session: AsyncSession, appeal_id: int) -> int:
    return (
        await session.scalar(
            select(func.count()).select_from(AppealSupporter).where(
                AppealSupporter.appeal_id == appeal_id
            )
        )
        or 0
    )


async def is_supporter(session: AsyncSession, appeal_id: int, resident_id: int) -> bool:
    found = await session.scalar(
        select(AppealSupporter.id).where(
            AppealSupporter.appeal_id == appeal_id, AppealSupporter.resident_id == resident_id
        )
    )
    return found is not None
