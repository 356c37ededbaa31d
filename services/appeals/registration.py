"""Registering an appeal: validated, numbered and dated in one transaction (Art. 20 terms)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services import audit
from services import drafts as shared
from services.appeals.drafts import get_draft, owner
from services.appeals.models import (
    Appeal,
    AppealAttachment,
    AppealEvent,
    AppealStatus,
    AppealType,
    AttachmentKind,
)
from services.appeals.numbering import deadline_for, format_number, next_seq
from services.appeals.rules import AppealRules
from services.appeals.validation import (
    FileInfo,
    require_author,
    validate_address,
    validate_category,
    validate_file,
    validate_location,
    validate_text,
    validate_type,
)
from services.db import utcnow
from services.drafts import DraftKind
from services.errors import Conflict, InvalidInput, PermissionDenied
from services.models import Resident
from services.timeutil import to_local


async def _numbered(session: AsyncSession, rules: AppealRules, now: datetime,
                    author: Resident, **fields: object) -> Appeal:
    """A new appeal of `author` with the year's next number and its deadline, not yet added."""
    year = to_local(now).year
    seq = await next_seq(session, year)
    return Appeal(
        number=format_number(year, seq),
        year=year,
        seq=seq,
        author_id=author.id,
        author_name=author.full_name or "",
        author_address=author.address,
        status=AppealStatus.REGISTERED.value,
        registered_at=now,
        deadline=deadline_for(now, rules.answer_days),
        is_simple=False,
        extended=False,
        **fields,
    )


async def _registered(session: AsyncSession, appeal: Appeal, actor: str, now: datetime) -> None:
    """Store the appeal and its first history entry."""
    session.add(appeal)
    await session.flush()
    session.add(
        AppealEvent(
            appeal_id=appeal.id,
            status=AppealStatus.REGISTERED.value,
            actor=actor,
            new_deadline=appeal.deadline,
            created_at=now,
        )
    )
    await session.flush()


async def register(
    session: AsyncSession,
    rules: AppealRules,
    resident: Resident | None,
    *,
    kind: str,
    category: str,
    text: str,
    files: Sequence[FileInfo] = (),
    latitude: float | None = None,
    longitude: float | None = None,
    location_text: str | None = None,
    public: bool = False,
    now: datetime | None = None,
) -> Appeal:
    """Validate everything, then number and store the appeal in one transaction.

    `public` is the author's explicit choice to let other residents read the text and answer.
    """
    author = require_author(resident)
    appeal_type = validate_type(kind)
    category = validate_category(rules, category)
    text = validate_text(rules, text)
    if len(files) > rules.max_attachments:
        raise InvalidInput("appeals.error.too_many_files", limit=rules.max_attachments)
    for info in files:
        validate_file(rules, info)
    if (latitude is None) != (longitude is None):
        raise InvalidInput("appeals.error.location_invalid")
    if latitude is not None and longitude is not None:
        validate_location(latitude, longitude)
    if location_text is not None:
        location_text = validate_address(rules, location_text)
    now = now or utcnow()
    appeal = await _numbered(
        session, rules, now, author, type=appeal_type.value, category=category, text=text,
        latitude=latitude, longitude=longitude, location_text=location_text, is_public=public,
    )
    appeal.attachments = [
        AppealAttachment(
            position=i, file_id=f.file_id, kind=f.kind.value, mime=f.mime, size=f.size
        )
        for i, f in enumerate(files)
    ]
    await _registered(session, appeal, f"resident:{author.id}", now)
    return appeal


def _petition_category(rules: AppealRules, category: str | None) -> str:
    """The petition's category when appeals have it too, else the catch-all (the last one)."""
    if category in rules.categories:
        return str(category)
    return "other" if "other" in rules.categories else rules.categories[-1]


async def register_from_petition(
    session: AsyncSession,
    rules: AppealRules,
    *,
    petition_id: int,
    author: Resident | None,
    text: str,
    category: str | None = None,
    now: datetime | None = None,
) -> Appeal | None:
    """Art. 23-1: a petition that missed its threshold is considered as an ordinary appeal.

    Numbered and dated like any appeal, in the caller's transaction (the petition's closing).
    None when the author erased themselves: Art. 8 does not consider an anonymous appeal.
    """
    try:
        author = require_author(author)
    except PermissionDenied:
        return None
    now = now or utcnow()
    appeal = await _numbered(
        session, rules, now, author, type=AppealType.PROPOSAL.value,
        category=_petition_category(rules, category), text=text, petition_id=petition_id,
        attachments=[],
    )
    await _registered(session, appeal, f"petition:{petition_id}", now)
    await audit.record(session, "system", "appeal.from_petition", "appeal", appeal.id,
                       petition_id=petition_id, number=appeal.number)
    return appeal


async def submit_draft(
    session: AsyncSession, rules: AppealRules, resident: Resident | None,
    now: datetime | None = None, *, version: int | None = None,
) -> Appeal:
    """Register the resident's draft, claimed in the same transaction (the caller commits).

    Claiming is a compare-and-set on the draft row, so two accounts of one person pressing
    "Submit" at once register it once; the other gets `draft.already_submitted`. With
    `version`, a draft changed since its summary was shown is not registered (`draft.changed`).
    On any error the caller rolls back, and the draft is there again, unregistered.
    """
    author = require_author(resident)
    draft = await get_draft(session, author.id)
    if draft is None:
        raise Conflict(shared.ALREADY_SUBMITTED)
    data = draft.data or {}
    if "type" not in data or "category" not in data or "text" not in data:
        raise InvalidInput("appeals.error.draft_incomplete")
    claimed = await shared.claim(session, owner(author.id), DraftKind.APPEAL,
                                 version if version is not None else draft.version)
    data = claimed.data
    files = [
        FileInfo(f["file_id"], AttachmentKind(f["kind"]), f.get("mime"), f.get("size"))
        for f in data.get("files", [])
    ]
    return await register(
        session,
        rules,
        author,
        kind=data["type"],
        category=data["category"],
        text=data["text"],
        files=files,
        latitude=data.get("lat"),
        longitude=data.get("lon"),
        location_text=data.get("address"),
        public=bool(data.get("public")),
        now=now,
    )
