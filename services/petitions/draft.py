"""The filing dialog's draft: the resident's `Draft` of kind "petition" (services/drafts.py).

Steps title → text → category (when the council has categories) → preview; nothing is filed
before `submit_draft`, which claims the draft and files it in one transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services import drafts
from services.drafts import DraftKind
from services.models import Draft, Resident
from services.petitions.filing import check_can_file, create
from services.petitions.models import Petition
from services.petitions.rules import PetitionRules
from services.petitions.validation import (
    require_complete,
    validate_category,
    validate_text,
    validate_title,
)

__all__ = [
    "NO_DRAFT",
    "asks_category",
    "discard_draft",
    "draft_category",
    "draft_text",
    "draft_title",
    "get_draft",
    "start_draft",
    "submit_draft",
]

NO_DRAFT = "petition.new.stale"


def asks_category(rules: PetitionRules) -> bool:
    """The dialog has a category step only where the council has categories."""
    return bool(rules.categories)


def _owner(resident_id: int) -> drafts.Owner:
    return drafts.Owner.resident(resident_id)


async def get_draft(session: AsyncSession, resident_id: int) -> Draft | None:
    return await drafts.get(session, _owner(resident_id), DraftKind.PETITION)


async def start_draft(session: AsyncSession, rules: PetitionRules, author: Resident | None
                      ) -> Draft:
    """A fresh draft at the title step, for an author who may file now."""
    author = await check_can_file(session, rules, author)
    return await drafts.start(session, _owner(author.id), DraftKind.PETITION, "title")


async def discard_draft(session: AsyncSession, resident_id: int) -> None:
    await drafts.discard(session, _owner(resident_id), DraftKind.PETITION)


async def draft_title(session: AsyncSession, rules: PetitionRules, resident_id: int,
                      raw: str | None) -> Draft:
    """Step 1: a valid title, then the text is asked for."""
    title = validate_title(raw, rules)
    return await drafts.update(session, _owner(resident_id), DraftKind.PETITION, "text",
                               missing=NO_DRAFT, title=title)


async def draft_text(session: AsyncSession, rules: PetitionRules, resident_id: int,
                     raw: str | None) -> Draft:
    """Step 2: a valid text, then the category (if the council has any) or the preview."""
    text = validate_text(raw, rules)
    step = "category" if asks_category(rules) else "preview"
    return await drafts.update(session, _owner(resident_id), DraftKind.PETITION, step,
                               missing=NO_DRAFT, text=text)


async def draft_category(session: AsyncSession, rules: PetitionRules, resident_id: int,
                         raw: str | None) -> Draft:
    """Step 3: one of the council's categories, or none; then the preview."""
    category = validate_category(raw, rules)  # None ("no category") clears an earlier one
    return await drafts.update(session, _owner(resident_id), DraftKind.PETITION,
                               "preview", missing=NO_DRAFT, category=category)


async def submit_draft(session: AsyncSession, rules: PetitionRules, author: Resident | None,
                       *, version: int | None = None, now: datetime | None = None) -> Petition:
    """File the resident's draft, claimed in the same transaction (the caller commits).

    The claim is a compare-and-set on the draft row: of two concurrent submissions one files
    the petition, the other gets `draft.already_submitted`; with `version`, a draft changed
    since its preview was shown is not filed (`draft.changed`). On an error the caller rolls
    back and the draft is there again.
    """
    author = require_complete(author)
    claimed = await drafts.claim(session, _owner(author.id), DraftKind.PETITION, version)
    data = claimed.data
    return await create(session, rules, author, title=data.get("title"), text=data.get("text"),
                        category=data.get("category"), now=now)
