"""The press dialogs' drafts (services/drafts.py): a new event, and one field of an event.

A new event is the officer's `Draft` of kind "event" (kind → title → starts_at → stream_url →
place, which files it); its data keys are `event_kind`, `title`, `starts_at` (ISO, UTC),
`stream_url` and `place`. Changing one field of an event is a draft of kind "event_edit".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services import drafts
from services.errors import InvalidInput
from services.events.manage import create_event, get_event, update_event
from services.events.models import Event, EventKind
from services.events.rules import EventRules
from services.events.validation import (
    parse_kind,
    parse_starts_at,
    validate_place,
    validate_title,
    validate_url,
)
from services.models import Draft

EDITABLE_FIELDS = ("title", "starts_at", "stream_url", "place")


def _draft(account: str) -> tuple[drafts.Owner, drafts.DraftKind]:
    """The officer's new-event draft (DraftKind read at call time: see services.models)."""
    return drafts.Owner.staff(account), drafts.DraftKind.EVENT


def _edit(account: str) -> tuple[drafts.Owner, drafts.DraftKind]:
    return drafts.Owner.staff(account), drafts.DraftKind.EVENT_EDIT


async def start_draft(session: AsyncSession, account: str) -> Draft:
    return await drafts.start(session, *_draft(account), "kind")


async def draft_step(session: AsyncSession, account: str, step: str) -> Draft:
    """Go back to a step (a start time that passed while the dialog went on)."""
    return await drafts.update(session, *_draft(account), step)


async def draft_kind(session: AsyncSession, account: str, raw: str) -> Draft:
    kind = parse_kind(raw)
    return await drafts.update(session, *_draft(account), "title",
                               event_kind=kind.value)


async def draft_title(session: AsyncSession, account: str, raw: str | None,
                      rules: EventRules = EventRules()) -> Draft:
    title = validate_title(raw, rules)
    return await drafts.update(session, *_draft(account), "starts_at",
                               title=title)


async def draft_starts_at(session: AsyncSession, account: str, raw: str | None,
                          now: datetime | None = None) -> Draft:
    starts_at = parse_starts_at(raw, now)
    return await drafts.update(session, *_draft(account), "stream_url",
                               starts_at=starts_at.isoformat())


async def draft_url(session: AsyncSession, account: str, raw: str | None,
                    rules: EventRules = EventRules()) -> Draft:
    url = validate_url(raw, rules)
    return await drafts.update(session, *_draft(account), "place",
                               stream_url=url)


async def submit_draft(session: AsyncSession, account: str, raw_place: str | None,
                       rules: EventRules = EventRules(), now: datetime | None = None) -> Event:
    """The last answer (the place) files the event; the draft is claimed in the same
    transaction, so it is created once. On an error the caller rolls back."""
    place = validate_place(raw_place, rules)
    data = (await drafts.claim(session, *_draft(account))).data
    return await _file(session, account, {**data, "place": place}, rules, now)


async def file_draft(session: AsyncSession, account: str, rules: EventRules = EventRules(),
                     *, version: int | None = None, now: datetime | None = None) -> Event:
    """File the draft as it stands (its place already stored), if still at `version`; on an
    error the caller rolls back and the draft is there again."""
    data = (await drafts.claim(session, *_draft(account), version)).data
    return await _file(session, account, data, rules, now)


async def _file(session: AsyncSession, account: str, data: dict[str, Any], rules: EventRules,
                now: datetime | None) -> Event:
    if not {"event_kind", "title", "starts_at"} <= data.keys():
        raise InvalidInput("draft.missing")
    return await create_event(
        session, actor=account, kind=EventKind(data["event_kind"]), title=data["title"],
        starts_at=datetime.fromisoformat(data["starts_at"]), stream_url=data.get("stream_url"),
        place=data.get("place"), rules=rules, now=now,
    )


async def start_edit(session: AsyncSession, account: str, event_id: int, field: str) -> Draft:
    """Ask for a new value of one field of an upcoming event."""
    if field not in EDITABLE_FIELDS:
        raise InvalidInput("events.not_found")
    await get_event(session, event_id)
    return await drafts.start(session, *_edit(account), "value",
                              {"event_id": event_id, "field": field})


async def get_edit(session: AsyncSession, account: str) -> Draft:
    return await drafts.require(session, *_edit(account))


async def submit_edit(session: AsyncSession, account: str, raw: str | None,
                      rules: EventRules = EventRules(), now: datetime | None = None) -> Event:
    """Apply the typed value to the field being edited; on an error the caller rolls back."""
    draft = await get_edit(session, account)
    field = str(draft.data.get("field"))
    value: Any
    if field == "starts_at":
        value = parse_starts_at(raw, now)
    elif field == "stream_url":
        value = validate_url(raw, rules)
    elif field == "place":
        value = validate_place(raw, rules)
    else:
        value = validate_title(raw, rules)
    await drafts.claim(session, *_edit(account), draft.version)
    return await update_event(session, int(draft.data["event_id"]), actor=account, rules=rules,
                              now=now, **{field: value})
