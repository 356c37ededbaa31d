"""An appeal draft: the resident's `Draft` of kind "appeal" (services/drafts.py).

Shared by all the person's accounts, changed under its row lock, submitted by claiming it.
Its data: "type", "category", "text", "files", "lat"/"lon" or "address", "public", and the
dialog's own marks ("offered" duplicates, "dups_seen", albums told of the file limit).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services import drafts as shared
from services.appeals.models import AppealDraft
from services.appeals.rules import AppealRules
from services.appeals.validation import FileInfo, validate_file
from services.drafts import DraftKind

NO_DRAFT = "appeals.error.no_draft"
FIRST_STEP = "type"
LIMIT_TOLD_KEY = "limit_told"  # albums whose author was told of the file limit already
_LIMIT_TOLD_KEPT = 20


def owner(resident_id: int) -> shared.Owner:
    return shared.Owner.resident(resident_id)


async def get_draft(session: AsyncSession, resident_id: int) -> AppealDraft | None:
    return await shared.get(session, owner(resident_id), DraftKind.APPEAL)


async def start_draft(session: AsyncSession, resident_id: int) -> AppealDraft:
    """A fresh draft (any earlier one is discarded)."""
    return await shared.start(session, owner(resident_id), DraftKind.APPEAL, FIRST_STEP)


async def discard_draft(session: AsyncSession, resident_id: int) -> None:
    await shared.discard(session, owner(resident_id), DraftKind.APPEAL)


async def update_draft(
    session: AsyncSession, resident_id: int, step: str | None, **values: Any
) -> AppealDraft:
    """Store what a step collected and where the dialog is; `None` values remove keys."""
    return await shared.update(session, owner(resident_id), DraftKind.APPEAL, step,
                               missing=NO_DRAFT, **values)


async def add_draft_file(
    session: AsyncSession, rules: AppealRules, resident_id: int, info: FileInfo
) -> tuple[AppealDraft, bool]:
    """Attach a validated file; returns (draft, accepted) — False once the limit is reached."""
    validate_file(rules, info)
    accepted = True

    def attach(data: dict[str, Any]) -> dict[str, Any]:
        # Runs under the draft's row lock: an album's files arrive as parallel updates, and
        # each must see the files the others added (SQLite and PostgreSQL alike).
        nonlocal accepted
        files = list(data.get("files", []))
        if len(files) >= rules.max_attachments:
            accepted = False
            return data
        if any(f["file_id"] == info.file_id for f in files):
            return data
        files.append({"file_id": info.file_id, "kind": info.kind.value, "mime": info.mime,
                      "size": info.size})
        return {**data, "files": files}

    draft = await shared.change(session, owner(resident_id), DraftKind.APPEAL, attach,
                                missing=NO_DRAFT)
    return draft, accepted


async def tell_file_limit(session: AsyncSession, resident_id: int, album: str | None) -> bool:
    """Whether to say now that a file was refused over the limit: for every single file, and
    for an album (its files arrive one by one) only the first time."""
    if album is None:
        return True
    first = False

    def note(data: dict[str, Any]) -> dict[str, Any]:
        nonlocal first
        told = list(data.get(LIMIT_TOLD_KEY, []))
        if album in told:
            return data
        first = True
        return {**data, LIMIT_TOLD_KEY: [*told, album][-_LIMIT_TOLD_KEPT:]}

    await shared.change(session, owner(resident_id), DraftKind.APPEAL, note, missing=NO_DRAFT)
    return first
