"""Council events (livestreams, press conferences): create, change, cancel, list, "remind me"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit
from services.db import insert_ignoring_conflicts, utcnow
from services.errors import Conflict, InvalidInput, NotFound
from services.events.models import Event, EventKind, EventReminderRequest, EventStatus
from services.events.reminders import (
    announce,
    announce_new,
    cancel_reminders,
    schedule_reminders,
    urgent,
)
from services.events.rules import EventRules
from services.events.validation import validate_place, validate_title, validate_url
from services.timeutil import as_utc

_UNSET: Any = object()


async def get_event(session: AsyncSession, event_id: int) -> Event:
    event = await session.get(Event, event_id)
    if event is None:
        raise NotFound("events.not_found")
    return event


async def upcoming(
    session: AsyncSession, *, offset: int = 0, limit: int = 5, now: datetime | None = None
) -> tuple[list[Event], int]:
    """Scheduled events that have not started yet, soonest first, and how many there are."""
    now = now or utcnow()
    where = (Event.status == EventStatus.SCHEDULED.value, Event.starts_at > now)
    total = await session.scalar(select(func.count()).select_from(Event).where(*where)) or 0
    rows = await session.scalars(
        select(Event).where(*where).order_by(Event.starts_at, Event.id).offset(offset).limit(limit)
    )
    return list(rows), int(total)


async def has_reminder(session: AsyncSession, event_id: int, resident_id: int) -> bool:
    found = await session.scalar(
        select(EventReminderRequest.id).where(
            EventReminderRequest.event_id == event_id,
            EventReminderRequest.resident_id == resident_id,
        )
    )
    return found is not None


async def remind_me(session: AsyncSession, event_id: int, resident_id: int) -> bool:
    """Ask for this event's reminders; False if already asked."""
    event = await get_event(session, event_id)
    if event.status != EventStatus.SCHEDULED.value or as_utc(event.starts_at) <= utcnow():
        raise Conflict("events.not_upcoming")
    stmt = (
        insert_ignoring_conflicts(session, EventReminderRequest.__table__)
        .values(event_id=event_id, resident_id=resident_id, created_at=utcnow())
        .returning(EventReminderRequest.__table__.c.id)
    )
    return (await session.execute(stmt)).first() is not None


async def create_event(
    session: AsyncSession,
    *,
    actor: str,
    kind: EventKind,
    title: str,
    starts_at: datetime,
    stream_url: str | None,
    place: str | None,
    rules: EventRules = EventRules(),
    now: datetime | None = None,
) -> Event:
    now = now or utcnow()
    if as_utc(starts_at) <= now:
        raise InvalidInput("events.time_past")
    event = Event(
        kind=EventKind(kind).value,
        title=validate_title(title, rules),
        starts_at=as_utc(starts_at),
        stream_url=validate_url(stream_url, rules) if stream_url else None,
        place=validate_place(place, rules) if place else None,
        status=EventStatus.SCHEDULED.value,
        version=1,
        changes=0,
        created_by=actor,
    )
    session.add(event)
    await session.flush()
    stages = await schedule_reminders(session, event, rules, now)
    await announce_new(session, event, stages, rules, now)
    await audit.record(session, actor, "event.create", "event", event.id, kind=event.kind,
                       title=event.title, starts_at=event.starts_at.isoformat())
    return event


async def update_event(
    session: AsyncSession,
    event_id: int,
    *,
    actor: str,
    title: str = _UNSET,
    starts_at: datetime = _UNSET,
    stream_url: str | None = _UNSET,
    place: str | None = _UNSET,
    rules: EventRules = EventRules(),
    now: datetime | None = None,
) -> Event:
    """Change an upcoming event; whoever was already told hears about the change."""
    now = now or utcnow()
    event = await _editable(session, event_id)
    # Only real differences count: re-sending the same value announces nothing to anyone.
    changed: dict[str, str | None] = {}
    if title is not _UNSET:
        new_title = validate_title(title, rules)
        if new_title != event.title:
            event.title = new_title
            changed["title"] = new_title
    if stream_url is not _UNSET:
        new_url = validate_url(stream_url, rules) if stream_url else None
        if new_url != event.stream_url:
            event.stream_url = new_url
            changed["stream_url"] = new_url
    if place is not _UNSET:
        new_place = validate_place(place, rules) if place else None
        if new_place != event.place:
            event.place = new_place
            changed["place"] = new_place
    if starts_at is not _UNSET:
        if as_utc(starts_at) <= now:
            raise InvalidInput("events.time_past")
        if as_utc(starts_at) != as_utc(event.starts_at):
            await cancel_reminders(session, event)
            event.starts_at = as_utc(starts_at)
            event.version += 1
            await schedule_reminders(session, event, rules, now)
            changed["starts_at"] = as_utc(starts_at).isoformat()
    if not changed:
        return event
    event.changes += 1
    await session.flush()
    await announce(session, event, "events.changed", f"event:{event.id}:change:{event.changes}",
                   urgent=urgent(event, now))
    await audit.record(session, actor, "event.update", "event", event.id, **changed)
    return event


async def cancel_event(
    session: AsyncSession, event_id: int, *, actor: str, now: datetime | None = None
) -> Event:
    now = now or utcnow()
    event = await _editable(session, event_id)
    event.status = EventStatus.CANCELLED.value
    await cancel_reminders(session, event)
    await session.flush()
    await announce(session, event, "events.cancelled", f"event:{event.id}:cancel",
                   urgent=urgent(event, now))
    await audit.record(session, actor, "event.cancel", "event", event.id)
    return event


async def _editable(session: AsyncSession, event_id: int) -> Event:
    event = await get_event(session, event_id)
    if event.status != EventStatus.SCHEDULED.value:
        raise Conflict("events.already_cancelled")
    if as_utc(event.starts_at) <= utcnow():
        raise Conflict("events.already_started")
    return event
