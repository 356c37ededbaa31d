"""Filing a petition: who may, and the new petition waiting for moderation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import utcnow
from services.errors import Conflict
from services.models import Resident
from services.petitions import notifications
from services.petitions.models import Petition, PetitionStatus
from services.petitions.rules import PetitionRules
from services.petitions.status import working_days_due
from services.petitions.validation import (
    require_complete,
    search_text,
    validate_category,
    validate_text,
    validate_title,
)

__all__ = ["check_can_file", "create"]


async def check_can_file(
    session: AsyncSession, rules: PetitionRules, author: Resident | None
) -> Resident:
    """The author may file now: a complete profile and room under the pending limit."""
    author = require_complete(author)
    pending = await session.scalar(
        select(func.count()).where(
            Petition.author_id == author.id, Petition.status == PetitionStatus.MODERATION
        )
    )
    if (pending or 0) >= rules.max_pending_per_author:
        raise Conflict("petition.error.too_many_pending", limit=rules.max_pending_per_author)
    return author


async def create(
    session: AsyncSession,
    rules: PetitionRules,
    author: Resident | None,
    *,
    title: str | None,
    text: str | None,
    category: str | None = None,
    now: datetime | None = None,
) -> Petition:
    """File a petition; it waits for moderation. The author may have only a few waiting."""
    author = await check_can_file(session, rules, author)
    now = now or utcnow()
    clean_title = validate_title(title, rules)
    clean_text = validate_text(text, rules)
    clean_category = validate_category(category, rules)
    petition = Petition(
        title=clean_title,
        text=clean_text,
        category=clean_category,
        search_text=search_text(clean_title, clean_text),
        author_id=author.id,
        status=PetitionStatus.MODERATION,
        created_at=now,
        moderation_due_at=working_days_due(now, rules.moderation_working_days),
        signature_count=0,
    )
    session.add(petition)
    await session.flush()
    await notifications.submitted(session, petition, now)
    return petition
