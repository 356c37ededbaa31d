"""Council events (livestreams, press conferences) and their reminders.

Reminders are one-off jobs keyed by the event's `version` (it grows when the start time moves),
so a rescheduled event gets fresh reminders and stale jobs do nothing. Each reminder goes out
once per recipient thanks to its outbox dedupe key, however often its job runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit, drafts, jobs, outbox, subscriptions
from services.db import insert_ignoring_conflicts, utcnow
from services.drafts import DraftKind
from services.errors import Conflict, InvalidInput, NotFound
from services.i18n import Texts
from services.models import Draft, Event, OutboxMessage, Priority, ScheduledTask, TaskStatus
from services.models.broadcasts import (
    EventKind,
    EventNotified,
    EventReminderRequest,
    EventStatus,
)
from services.timeutil import as_utc, format_datetime, parse_local_datetime

REMINDER_TASK = "event.reminder"
# Announcements of a change that close to the start bypass quiet hours.
URGENT_CHANGE_WINDOW = timedelta(hours=3)
# A day-ahead reminder due sooner than this after the announcement would only repeat it.
AHEAD_MIN_LEAD = timedelta(hours=1)
REMINDER_STAGES = ("ahead", "live")


@dataclass(frozen=True, slots=True)
class EventRules:
    reminder_hours: int = 24
    title_max: int = 200
    place_max: int = 200
    url_max: int = 500


_UNSET: Any = object()


# ---- validation ---------------------------------------------------------------------------
def parse_kind(raw: str) -> EventKind:
    try:
        return EventKind(raw)
    except ValueError:
        raise InvalidInput("events.kind_unknown") from None


def validate_title(raw: str | None, rules: EventRules = EventRules()) -> str:
    if raw is None:
        raise InvalidInput("events.title_not_text")
    title = " ".join(raw.split())
    if not title:
        raise InvalidInput("events.title_empty")
    if len(title) > rules.title_max:
        raise InvalidInput("events.title_too_long", limit=rules.title_max)
    return title


def validate_place(raw: str | None, rules: EventRules = EventRules()) -> str | None:
    if raw is None:
        raise InvalidInput("events.place_not_text")
    place = " ".join(raw.split())
    if place in {"", "-"}:
        return None
    if len(place) > rules.place_max:
        raise InvalidInput("events.place_too_long", limit=rules.place_max)
    return place


def validate_url(raw: str | None, rules: EventRules = EventRules()) -> str | None:
    """An http(s) link with a host, or `-` for none."""
    if raw is None:
        raise InvalidInput("events.url_invalid")
    url = raw.strip()
    if url == "-":
        return None
    parts = urlsplit(url)
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or "." not in parts.hostname
        or any(ch.isspace() for ch in url)
        or len(url) > rules.url_max
    ):
        raise InvalidInput("events.url_invalid")
    return url


def parse_starts_at(raw: str | None, now: datetime | None = None) -> datetime:
    """`25.12.2026 18:00` (council time; the year may be left out) → UTC; must be in the future."""
    now = now or utcnow()
    starts_at = parse_local_datetime(raw, now)
    if starts_at is None:
        raise InvalidInput("events.time_invalid")
    if starts_at <= now:
        raise InvalidInput("events.time_past")
    return starts_at


# ---- the press dialogs' drafts -------------------------------------------------------------
# A new event is the officer's `Draft` of kind "event" (kind → title → starts_at → stream_url →
# place, which files it); changing one field of an event is a draft of kind "event_edit".

EDITABLE_FIELDS = ("title", "starts_at", "stream_url", "place")


def _draft_owner(account: str) -> drafts.Owner:
    return drafts.Owner.staff(account)


async def start_draft(session: AsyncSession, account: str) -> Draft:
    return await drafts.start(session, _draft_owner(account), DraftKind.EVENT, "kind")


async def draft_step(session: AsyncSession, account: str, step: str) -> Draft:
    """Go back to a step (a start time that passed while the dialog went on)."""
    return await drafts.update(session, _draft_owner(account), DraftKind.EVENT, step)


async def draft_kind(session: AsyncSession, account: str, raw: str) -> Draft:
    kind = parse_kind(raw)
    return await drafts.update(session, _draft_owner(account), DraftKind.EVENT, "title",
                               event_kind=kind.value)


async def draft_title(session: AsyncSession, account: str, raw: str | None,
                      rules: EventRules = EventRules()) -> Draft:
    title = validate_title(raw, rules)
    return await drafts.update(session, _draft_owner(account), DraftKind.EVENT, "starts_at",
                               title=title)


async def draft_starts_at(session: AsyncSession, account: str, raw: str | None,
                          now: datetime | None = None) -> Draft:
    starts_at = parse_starts_at(raw, now)
    return await drafts.update(session, _draft_owner(account), DraftKind.EVENT, "stream_url",
                               starts_at=starts_at.isoformat())


async def draft_url(session: AsyncSession, account: str, raw: str | None,
                    rules: EventRules = EventRules()) -> Draft:
    url = validate_url(raw, rules)
    return await drafts.update(session, _draft_owner(account), DraftKind.EVENT, "place",
                               stream_url=url)


async def submit_draft(session: AsyncSession, account: str, raw_place: str | None,
                       rules: EventRules = EventRules(), now: datetime | None = None) -> Event:
    """The last answer (the place) files the event; the draft is claimed in the same
    transaction, so it is created once. On an error the caller rolls back."""
    place = validate_place(raw_place, rules)
    data = (await drafts.claim(session, _draft_owner(account), DraftKind.EVENT)).data
    if not {"event_kind", "title", "starts_at"} <= data.keys():
        raise InvalidInput("draft.missing")
    return await create_event(
        session, actor=account, kind=EventKind(data["event_kind"]), title=data["title"],
        starts_at=datetime.fromisoformat(data["starts_at"]), stream_url=data.get("stream_url"),
        place=place, rules=rules, now=now,
    )


async def start_edit(session: AsyncSession, account: str, event_id: int, field: str) -> Draft:
    """Ask for a new value of one field of an upcoming event."""
    if field not in EDITABLE_FIELDS:
        raise InvalidInput("events.not_found")
    await get_event(session, event_id)
    return await drafts.start(session, _draft_owner(account), DraftKind.EVENT_EDIT, "value",
                              {"event_id": event_id, "field": field})


async def get_edit(session: AsyncSession, account: str) -> Draft:
    return await drafts.require(session, _draft_owner(account), DraftKind.EVENT_EDIT)


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
    await drafts.claim(session, _draft_owner(account), DraftKind.EVENT_EDIT, draft.version)
    return await update_event(session, int(draft.data["event_id"]), actor=account, rules=rules,
                              now=now, **{field: value})


# ---- queries ------------------------------------------------------------------------------
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


# ---- press actions ------------------------------------------------------------------------
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
    stages = await _schedule_reminders(session, event, rules, now)
    await _announce_new(session, event, stages, rules, now)
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
            await _cancel_reminders(session, event)
            event.starts_at = as_utc(starts_at)
            event.version += 1
            await _schedule_reminders(session, event, rules, now)
            changed["starts_at"] = as_utc(starts_at).isoformat()
    if not changed:
        return event
    event.changes += 1
    await session.flush()
    urgent = as_utc(event.starts_at) - now <= URGENT_CHANGE_WINDOW
    await _announce(session, event, "events.changed", f"event:{event.id}:change:{event.changes}",
                    urgent=urgent)
    await audit.record(session, actor, "event.update", "event", event.id, **changed)
    return event


async def cancel_event(
    session: AsyncSession, event_id: int, *, actor: str, now: datetime | None = None
) -> Event:
    now = now or utcnow()
    event = await _editable(session, event_id)
    event.status = EventStatus.CANCELLED.value
    await _cancel_reminders(session, event)
    await session.flush()
    urgent = as_utc(event.starts_at) - now <= URGENT_CHANGE_WINDOW
    await _announce(session, event, "events.cancelled", f"event:{event.id}:cancel", urgent=urgent)
    await audit.record(session, actor, "event.cancel", "event", event.id)
    return event


async def _editable(session: AsyncSession, event_id: int) -> Event:
    event = await get_event(session, event_id)
    if event.status != EventStatus.SCHEDULED.value:
        raise Conflict("events.already_cancelled")
    if as_utc(event.starts_at) <= utcnow():
        raise Conflict("events.already_started")
    return event


# ---- reminders ----------------------------------------------------------------------------
def _job_key(event: Event, stage: str) -> str:
    return f"event:{event.id}:v{event.version}:{stage}"


async def _schedule_reminders(
    session: AsyncSession, event: Event, rules: EventRules, now: datetime
) -> tuple[str, ...]:
    """Queue the reminders still ahead of us and say which: a passed one is skipped, never
    sent at once (the announcement already told people)."""
    starts_at = as_utc(event.starts_at)
    day_before = starts_at - timedelta(hours=rules.reminder_hours)
    payload = {"event_id": event.id, "version": event.version}
    stages: list[str] = []
    if day_before - now >= AHEAD_MIN_LEAD:
        await jobs.schedule(session, REMINDER_TASK, day_before, {**payload, "stage": "ahead"},
                            dedupe_key=_job_key(event, "ahead"))
        stages.append("ahead")
    await jobs.schedule(session, REMINDER_TASK, starts_at, {**payload, "stage": "live"},
                        dedupe_key=_job_key(event, "live"))
    stages.append("live")
    return tuple(stages)


async def _cancel_reminders(session: AsyncSession, event: Event) -> None:
    for stage in REMINDER_STAGES:
        await jobs.cancel(session, _job_key(event, stage))


async def planned_reminders(session: AsyncSession, event: Event) -> tuple[str, ...]:
    """The reminder stages still queued for the event's current version ("ahead", "live")."""
    keys = {_job_key(event, stage): stage for stage in REMINDER_STAGES}
    queued = set(
        await session.scalars(
            select(ScheduledTask.dedupe_key).where(
                ScheduledTask.dedupe_key.in_(keys), ScheduledTask.status == TaskStatus.PENDING
            )
        )
    )
    return tuple(stage for key, stage in keys.items() if key in queued)


def reminders_text(tr: Texts, stages: tuple[str, ...], rules: EventRules,
                   prefix: str = "events.reminders") -> str:
    """What reminders will follow, in words ("24 h before and at the start")."""
    if "ahead" in stages and "live" in stages:
        return tr(f"{prefix}.ahead_and_live", hours=rules.reminder_hours)
    if "live" in stages:
        return tr(f"{prefix}.live_only", hours=rules.reminder_hours)
    return tr(f"{prefix}.none", hours=rules.reminder_hours)


async def told_count(session: AsyncSession, event_id: int) -> int:
    """How many residents have been told about the event so far."""
    return int(
        await session.scalar(
            select(func.count()).select_from(EventNotified)
            .where(EventNotified.event_id == event_id)
        )
        or 0
    )


async def _audience(session: AsyncSession, event: Event) -> set[int]:
    followers = await subscriptions.subscriber_ids(session, EventKind(event.kind).topic)
    asked = await session.scalars(
        select(EventReminderRequest.resident_id).where(EventReminderRequest.event_id == event.id)
    )
    return set(followers) | set(asked)


def _render_card(event: Event, key: str) -> outbox.Render:
    def render(tr: Texts) -> str:
        return tr(
            key,
            kind=tr(f"events.kind.{event.kind}"),
            title=event.title,
            when=format_datetime(event.starts_at),
            place=event.place or tr("events.place_none"),
        )

    return render


def _watch_button(event: Event) -> Any:
    if not event.stream_url:
        return None
    url = event.stream_url

    def buttons(tr: Texts) -> list[list[dict[str, Any]]]:
        return [[{"text": tr("events.button.watch"), "url": url}]]

    return buttons


async def reminder_task(ctx: jobs.JobContext, payload: dict[str, Any]) -> None:
    """The REMINDER_TASK handler (declared by the feature that owns events)."""
    await send_reminder(ctx.session, payload)


async def send_reminder(session: AsyncSession, payload: dict[str, Any]) -> None:
    """The day-ahead or "live now" reminder of one event version (a no-op if it is stale)."""
    event = await session.get(Event, int(payload["event_id"]))
    if (
        event is None
        or event.status != EventStatus.SCHEDULED.value
        or event.version != int(payload["version"])
    ):
        return
    stage = str(payload["stage"])
    resident_ids = await _audience(session, event)
    if not resident_ids:
        return
    live = stage == "live"
    await outbox.notify_residents(
        session,
        resident_ids,
        _render_card(event, "events.reminder.live" if live else "events.reminder.ahead"),
        urgent=live,
        priority=Priority.NORMAL,
        dedupe=f"event:{event.id}:v{event.version}:{stage}",
        buttons=_watch_button(event),
    )
    await _mark_told(session, event.id, resident_ids)


async def _announce_new(session: AsyncSession, event: Event, stages: tuple[str, ...],
                        rules: EventRules, now: datetime) -> None:
    """Tell the topic's followers once, at creation, with the reminders that will follow.

    An event starting soon skips quiet hours: a morning delivery would come too late.
    """
    followers = set(await subscriptions.subscriber_ids(session, EventKind(event.kind).topic))
    if not followers:
        return
    card = _render_card(event, "events.announced")
    await outbox.notify_residents(
        session,
        followers,
        lambda tr: card(tr) + "\n" + reminders_text(tr, stages, rules),
        urgent=as_utc(event.starts_at) - now <= URGENT_CHANGE_WINDOW,
        dedupe=f"event:{event.id}:new",
        buttons=_watch_button(event),
        now=now,
    )
    await _mark_told(session, event.id, followers)


async def _mark_told(session: AsyncSession, event_id: int, resident_ids: set[int]) -> None:
    rows = [{"event_id": event_id, "resident_id": rid} for rid in sorted(resident_ids)]
    stmt = insert_ignoring_conflicts(session, EventNotified.__table__)
    for start in range(0, len(rows), 1000):
        await session.execute(stmt, rows[start : start + 1000])


async def _announce(
    session: AsyncSession, event: Event, key: str, dedupe: str, *, urgent: bool
) -> None:
    told = set(
        await session.scalars(
            select(EventNotified.resident_id).where(EventNotified.event_id == event.id)
        )
    )
    asked = set(
        await session.scalars(
            select(EventReminderRequest.resident_id).where(
                EventReminderRequest.event_id == event.id
            )
        )
    )
    if told | asked:
        await outbox.notify_residents(
            session, told | asked, _render_card(event, key), urgent=urgent, dedupe=dedupe,
            buttons=_watch_button(event) if key == "events.changed" else None,
        )


async def reminders_queued(session: AsyncSession, event_id: int) -> int:
    """How many reminder rows exist for one event (for staff figures and tests)."""
    return int(
        await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.dedupe_key.like(f"event:{event_id}:%")
            )
        )
        or 0
    )
