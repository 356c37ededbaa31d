"""Telling residents about events: the announcement, the reminders, changes and cancellations.

Reminders are one-off jobs keyed by the event's `version` (it grows when the start time moves),
so a rescheduled event gets fresh reminders and stale jobs do nothing. Each reminder goes out
once per recipient thanks to its outbox dedupe key, however often its job runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import jobs, outbox
from services.db import insert_ignoring_conflicts
from services.events.models import (
    Event,
    EventKind,
    EventNotified,
    EventReminderRequest,
    EventStatus,
)
from services.events.rules import EventRules
from services.events.subscriptions import subscriber_ids
from services.i18n import Texts
from services.models import OutboxMessage, Priority, ScheduledTask, TaskStatus
from services.timeutil import as_utc, format_datetime

REMINDER_TASK = "event.reminder"
# Announcements of a change that close to the start bypass quiet hours.
URGENT_CHANGE_WINDOW = timedelta(hours=3)
# A day-ahead reminder due sooner than this after the announcement would only repeat it.
AHEAD_MIN_LEAD = timedelta(hours=1)
REMINDER_STAGES = ("ahead", "live")


def _job_key(event: Event, stage: str) -> str:
    return f"event:{event.id}:v{event.version}:{stage}"


def urgent(event: Event, now: datetime) -> bool:
    """Whether news of this event is too close to its start to wait for quiet hours' end."""
    return as_utc(event.starts_at) - now <= URGENT_CHANGE_WINDOW


async def schedule_reminders(
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


async def cancel_reminders(session: AsyncSession, event: Event) -> None:
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


async def _asked(session: AsyncSession, event_id: int) -> set[int]:
    """Residents who pressed "remind me" for the event."""
    return set(await session.scalars(
        select(EventReminderRequest.resident_id).where(EventReminderRequest.event_id == event_id)
    ))


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
    followers = await subscriber_ids(session, EventKind(event.kind).topic)
    resident_ids = set(followers) | await _asked(session, event.id)
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


async def announce_new(session: AsyncSession, event: Event, stages: tuple[str, ...],
                       rules: EventRules, now: datetime) -> None:
    """Tell the topic's followers once, at creation, with the reminders that will follow.

    An event starting soon skips quiet hours: a morning delivery would come too late.
    """
    followers = set(await subscriber_ids(session, EventKind(event.kind).topic))
    if not followers:
        return
    card = _render_card(event, "events.announced")
    await outbox.notify_residents(
        session,
        followers,
        lambda tr: card(tr) + "\n" + reminders_text(tr, stages, rules),
        urgent=urgent(event, now),
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


async def announce(
    session: AsyncSession, event: Event, key: str, dedupe: str, *, urgent: bool
) -> None:
    """A change or the cancellation, to everyone told about the event or asking about it."""
    told = set(
        await session.scalars(
            select(EventNotified.resident_id).where(EventNotified.event_id == event.id)
        )
    )
    recipients = told | await _asked(session, event.id)
    if recipients:
        await outbox.notify_residents(
            session, recipients, _render_card(event, key), urgent=urgent, dedupe=dedupe,
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
