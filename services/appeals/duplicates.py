"""Possible duplicates of a draft, offered before it is filed, and support instead of filing."""

from __future__ import annotations

import math
import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.appeals.drafts import discard_draft, get_draft, update_draft
from services.appeals.models import Appeal, AppealDraft
from services.appeals.queries import get
from services.appeals.rules import AppealRules
from services.appeals.status import OPEN_STATUSES, is_open
from services.appeals.supporters import add_supporters
from services.appeals.validation import require_author
from services.appeals.views import AppealView, Audience, view_for
from services.errors import Conflict, NotFound
from services.models import Resident

_WORD_RE = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
OFFERED_KEY = "offered"  # the draft's list of appeal ids shown to its author as duplicates


def _stems(text: str) -> set[str]:
    """Crude stems: the first five letters of words of four or more letters (uk and en)."""
    return {word[:5] for word in _WORD_RE.findall(text.lower().replace("’", "'"))}


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    radius = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


async def possible_duplicates(
    session: AsyncSession,
    rules: AppealRules,
    *,
    category: str,
    text: str,
    latitude: float | None = None,
    longitude: float | None = None,
    exclude_author: int | None = None,
    limit: int = 3,
) -> list[Appeal]:
    """Open appeals of the same category with similar words or a location close by."""
    query = (
        select(Appeal)
        .where(Appeal.category == category, Appeal.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(Appeal.registered_at.desc())
        .limit(300)
    )
    if exclude_author is not None:
        query = query.where(Appeal.author_id != exclude_author)
    words = _stems(text)
    scored: list[tuple[float, int, Appeal]] = []
    for appeal in await session.scalars(query):
        other = _stems(appeal.text)
        common = words & other
        similarity = len(common) / len(words | other) if words and other else 0.0
        score = similarity if len(common) >= 2 and similarity >= 0.2 else 0.0
        if (
            latitude is not None
            and longitude is not None
            and appeal.latitude is not None
            and appeal.longitude is not None
            and _distance_m(latitude, longitude, appeal.latitude, appeal.longitude)
            <= rules.duplicate_radius_m
        ):
            score += 0.5
        if score > 0:
            scored.append((score, appeal.id, appeal))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return [appeal for _, _, appeal in scored[:limit]]


async def offer_duplicates(
    session: AsyncSession, rules: AppealRules, draft: AppealDraft
) -> list[AppealView]:
    """Possible duplicates of a draft, as its author may see them, remembered on the draft.

    Only an appeal remembered here can be supported (`add_support`): a forged button with
    another id gets NotFound. Each call replaces the list, so a changed draft is offered anew.
    """
    data = draft.data or {}
    similar = await possible_duplicates(
        session, rules, category=data.get("category", ""), text=data.get("text", ""),
        latitude=data.get("lat"), longitude=data.get("lon"), exclude_author=draft.resident_id,
    )
    offered = [a.id for a in similar]
    if data.get(OFFERED_KEY, []) != offered and draft.resident_id is not None:
        await update_draft(session, draft.resident_id, draft.step, **{OFFERED_KEY: offered or None})
    return [view_for(a, Audience.CANDIDATE) for a in similar]


async def add_support(session: AsyncSession, appeal_id: int, resident: Resident | None) -> Appeal:
    """Back an open appeal offered as a duplicate of the resident's draft, instead of filing.

    The draft is removed (nothing is filed); supporting twice is harmless. An appeal that was
    not offered to this resident is NotFound, exactly like one that does not exist.
    """
    author = require_author(resident)
    draft = await get_draft(session, author.id)
    if draft is None or appeal_id not in (draft.data or {}).get(OFFERED_KEY, []):
        raise NotFound("appeals.error.not_found")
    appeal = await get(session, appeal_id)
    if appeal.author_id == author.id:
        raise Conflict("appeals.error.support_own")
    if not is_open(appeal):
        raise Conflict("appeals.error.support_closed")
    await add_supporters(session, appeal.id, [author.id])
    await discard_draft(session, author.id)
    return appeal
