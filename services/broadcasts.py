"""Press broadcasts: audience, enqueueing in resumable chunks, progress, cancel, history.

A broadcast becomes one outbox row per recipient with the dedupe key `broadcast:<id>`, written
in chunks (each its own transaction) with a keyset cursor, so a crash while enqueueing resumes
where it stopped and never queues anyone twice. Progress is read from the outbox statuses.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit, drafts, jobs, outbox, subscriptions
from services.db import utcnow
from services.drafts import DraftKind
from services.errors import Conflict, InvalidInput, NotFound
from services.i18n import Texts
from services.models import Broadcast, Draft, OutboxStatus, Priority, Resident
from services.models import Subscription as Sub
from services.models.broadcasts import BroadcastStatus, Topic
from services.timeutil import as_utc, format_datetime

START_TASK = "broadcast.start"
PHOTO_CAPTION_MAX = 1024  # Telegram's caption limit: a longer text cannot ride with a photo


@dataclass(frozen=True, slots=True)
class BroadcastRules:
    text_max: int = 3500
    chunk: int = 5000  # recipients queued per transaction
    chunks_per_run: int = 2  # per run of the start task: a tick is never blocked for long


@dataclass(frozen=True, slots=True)
class Audience:
    topic: Topic | None = None  # None: everyone reachable
    district: str | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    total: int
    sent: int
    failed: int
    blocked: int
    cancelled: int
    remaining: int

    @property
    def finished(self) -> bool:
        return self.remaining == 0


def validate_text(raw: str | None, *, has_photo: bool, rules: BroadcastRules = BroadcastRules()
                  ) -> str:
    if raw is None:
        raise InvalidInput("broadcasts.text_not_text")
    text = raw.strip()
    if not text:
        raise InvalidInput("broadcasts.text_empty")
    limit = min(rules.text_max, PHOTO_CAPTION_MAX) if has_photo else rules.text_max
    if len(text) > limit:
        raise InvalidInput("broadcasts.text_too_long", limit=limit, length=len(text))
    return text


def validate_district(raw: str | None) -> str | None:
    if raw is None:
        raise InvalidInput("broadcasts.district_invalid")
    district = " ".join(raw.split())
    if district in {"", "-"}:
        return None
    if len(district) > 64:
        raise InvalidInput("broadcasts.district_invalid")
    return district


def _audience_rows(audience: Audience) -> Select[Any]:
    query = outbox.reachable_recipients()
    if audience.topic is not None:
        query = query.where(
            select(Sub.id)
            .where(Sub.resident_id == Resident.id, Sub.topic == audience.topic.value)
            .exists()
        )
    if audience.district:
        # SQLite's lower() knows ASCII only, so match the usual spellings of a Cyrillic name.
        d = audience.district
        query = query.where(Resident.district.in_({d, d.lower(), d.capitalize(), d.title(),
                                                   d.upper()}))
    return query


async def count_audience(session: AsyncSession, audience: Audience) -> int:
    """How many messages a broadcast to this audience would send (one per reachable chat)."""
    subquery = _audience_rows(audience).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)


async def has_audience(session: AsyncSession, audience: Audience) -> bool:
    """Whether anyone at all would get it: stops at the first recipient, unlike a count."""
    return bool(await session.scalar(select(_audience_rows(audience).limit(1).exists())))


async def create_broadcast(
    session: AsyncSession,
    *,
    actor: str,
    author_chat_id: str | None,
    author_language: str,
    text: str,
    photo: str | None,
    audience: Audience,
    urgent: bool = False,
    scheduled_at: datetime | None = None,
    rules: BroadcastRules = BroadcastRules(),
    now: datetime | None = None,
) -> Broadcast:
    """Store a confirmed broadcast and queue the task that enqueues it (now, or when due).

    Enqueueing a large audience is the task's work, done in resumable chunks by the scheduler,
    so the press officer's button press returns at once.
    """
    now = now or utcnow()
    text = validate_text(text, has_photo=bool(photo), rules=rules)
    if not await has_audience(session, audience):
        raise InvalidInput("broadcasts.audience_empty")
    if scheduled_at is not None and as_utc(scheduled_at) <= now:
        raise InvalidInput("broadcasts.time_past")
    broadcast = Broadcast(
        author=actor,
        author_chat_id=author_chat_id,
        author_language=author_language,
        text=text,
        photo=photo,
        topic=audience.topic.value if audience.topic else None,
        district=audience.district,
        urgent=urgent,
        status=BroadcastStatus.SCHEDULED.value,
        scheduled_at=as_utc(scheduled_at) if scheduled_at else None,
        enqueued_up_to=0,
        enqueue_done=False,
        total=0,
    )
    session.add(broadcast)
    await session.flush()
    await jobs.schedule(session, START_TASK, as_utc(scheduled_at) if scheduled_at else now,
                        {"broadcast_id": broadcast.id, "chunk": rules.chunk,
                         "chunks_per_run": rules.chunks_per_run},
                        dedupe_key=_start_key(broadcast.id))
    await audit.record(session, actor, "broadcast.create", "broadcast", broadcast.id,
                       topic=broadcast.topic, district=broadcast.district, urgent=urgent,
                       scheduled_at=scheduled_at.isoformat() if scheduled_at else None)
    return broadcast


# ---- the composing dialog's draft ----------------------------------------------------------
# The press officer's `Draft` of kind "broadcast" (services/drafts.py): text → audience →
# district → confirm (urgent, schedule); "send" claims it, so a double press sends once.


def _draft_owner(account: str) -> drafts.Owner:
    return drafts.Owner.staff(account)


async def get_draft(session: AsyncSession, account: str) -> Draft:
    return await drafts.require(session, _draft_owner(account), DraftKind.BROADCAST)


async def start_draft(session: AsyncSession, account: str) -> Draft:
    return await drafts.start(session, _draft_owner(account), DraftKind.BROADCAST, "text")


async def discard_draft(session: AsyncSession, account: str) -> None:
    await drafts.discard(session, _draft_owner(account), DraftKind.BROADCAST)


async def draft_text(session: AsyncSession, account: str, text: str | None, photo: str | None,
                     rules: BroadcastRules = BroadcastRules()) -> Draft:
    """Step 1: the announcement (a photo's caption is shorter); urgency and time start over."""
    clean = validate_text(text, has_photo=photo is not None, rules=rules)
    return await drafts.update(session, _draft_owner(account), DraftKind.BROADCAST, "audience",
                               text=clean, photo=photo, urgent=False, scheduled_at=None)


async def draft_topic(session: AsyncSession, account: str, raw: str) -> Draft:
    """Step 2: a topic's followers, or everyone (`""`); the district is asked next."""
    topic = subscriptions.parse_topic(raw) if raw else None
    return await drafts.update(session, _draft_owner(account), DraftKind.BROADCAST, "district",
                               topic=topic.value if topic else None, district=None)


async def draft_district(session: AsyncSession, account: str, raw: str | None, *,
                         everywhere: bool = False) -> Draft:
    """Step 3: one district (as typed) or all of them; then the summary."""
    district = None if everywhere else validate_district(raw)
    return await drafts.update(session, _draft_owner(account), DraftKind.BROADCAST, "confirm",
                               district=district)


async def draft_toggle_urgent(session: AsyncSession, account: str) -> Draft:
    return await drafts.change(session, _draft_owner(account), DraftKind.BROADCAST,
                               lambda data: {**data, "urgent": not data.get("urgent")})


async def draft_schedule(session: AsyncSession, account: str, when: datetime) -> Draft:
    return await drafts.update(session, _draft_owner(account), DraftKind.BROADCAST, "confirm",
                               scheduled_at=as_utc(when).isoformat())


async def draft_step(session: AsyncSession, account: str, step: str) -> Draft:
    """Go back to a step (the summary sent the officer there)."""
    return await drafts.update(session, _draft_owner(account), DraftKind.BROADCAST, step)


def draft_audience(data: dict[str, Any]) -> Audience:
    topic = data.get("topic")
    return Audience(Topic(topic) if topic else None, data.get("district"))


def draft_scheduled_at(data: dict[str, Any]) -> datetime | None:
    raw = data.get("scheduled_at")
    return datetime.fromisoformat(raw) if raw else None


async def send_draft(
    session: AsyncSession,
    account: str,
    *,
    version: int | None,
    author_chat_id: str | None,
    author_language: str,
    rules: BroadcastRules = BroadcastRules(),
    now: datetime | None = None,
) -> Broadcast:
    """"Send": claim the draft and store the broadcast with its start task, in one transaction.

    The claim is a compare-and-set on the draft row: of two presses (two processes, two
    taps) one creates the broadcast, the other gets `draft.already_submitted`; a draft
    changed since the summary was shown gets `draft.changed`. The caller commits, or rolls
    back on an error (then the draft is there again).
    """
    claimed = await drafts.claim(session, _draft_owner(account), DraftKind.BROADCAST, version)
    data = claimed.data
    return await create_broadcast(
        session, actor=account, author_chat_id=author_chat_id, author_language=author_language,
        text=data.get("text") or "", photo=data.get("photo"), audience=draft_audience(data),
        urgent=bool(data.get("urgent")), scheduled_at=draft_scheduled_at(data), rules=rules,
        now=now,
    )


def _start_key(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:start"


async def get_broadcast(session: AsyncSession, broadcast_id: int) -> Broadcast:
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFound("broadcasts.not_found")
    return broadcast


async def start(
    session: AsyncSession, broadcast_id: int, rules: BroadcastRules = BroadcastRules()
) -> int:
    """Queue the broadcast for its whole audience, one committed chunk at a time.

    Safe to call again after a crash (or twice at once): the cursor skips done chunks and the
    dedupe key skips anyone already queued. Returns how many rows this call queued.
    """
    queued, _ = await enqueue(session, broadcast_id, rules)
    return queued


async def enqueue(
    session: AsyncSession, broadcast_id: int, rules: BroadcastRules = BroadcastRules(),
    max_chunks: int | None = None,
) -> tuple[int, bool]:
    """Queue up to `max_chunks` chunks (all, if None); returns (rows queued, more to do)."""
    claimed = await session.execute(
        update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.status.in_([BroadcastStatus.SCHEDULED.value, BroadcastStatus.SENDING.value]),
            Broadcast.enqueue_done.is_(False),
        )
        .values(status=BroadcastStatus.SENDING.value,
                started_at=func.coalesce(Broadcast.started_at, utcnow()))
        .returning(Broadcast.id)
    )
    if claimed.first() is None:
        await session.rollback()
        return 0, False
    await session.commit()
    queued = chunks = 0
    while max_chunks is None or chunks < max_chunks:
        broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
        if broadcast is None or broadcast.status != BroadcastStatus.SENDING.value:
            return queued, False
        added = await _enqueue_chunk(session, broadcast, rules)
        if added is None:
            return queued, False
        queued += added
        chunks += 1
    return queued, True


async def _enqueue_chunk(
    session: AsyncSession, broadcast: Broadcast, rules: BroadcastRules
) -> int | None:
    """Queue the next chunk of the audience and commit; None when there is nothing more to do.

    The cursor moves only while the broadcast is still sending: if it was cancelled after we
    read it, the chunk is rolled back instead of leaving pending rows behind the cancel. It is
    a compare-and-set, too: when another run of the task moved it first, this chunk (queued
    by that run, as the dedupe keys showed) is rolled back and 0 returned.
    """
    audience = Audience(Topic(broadcast.topic) if broadcast.topic else None, broadcast.district)
    cursor = broadcast.enqueued_up_to
    resident_ids = list(
        await session.scalars(
            _audience_rows(audience)
            .with_only_columns(Resident.id)
            .where(Resident.id > cursor)
            .distinct()
            .order_by(Resident.id)
            .limit(rules.chunk)
        )
    )
    if not resident_ids:
        await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast.id,
                   Broadcast.status == BroadcastStatus.SENDING.value)
            .values(enqueue_done=True)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        return None
    last = resident_ids[-1]
    rows = (
        await session.execute(
            _audience_rows(audience).where(Resident.id > cursor, Resident.id <= last)
        )
    ).all()
    recipients = [outbox.Recipient(*row) for row in rows]
    added = await outbox.notify(
        session,
        recipients,
        _render(broadcast.text),
        priority=Priority.URGENT if broadcast.urgent else Priority.BULK,
        urgent=broadcast.urgent,
        dedupe=f"broadcast:{broadcast.id}",
        photo=broadcast.photo,
        broadcast_id=broadcast.id,
    )
    moved = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast.id, Broadcast.status == BroadcastStatus.SENDING.value,
               Broadcast.enqueued_up_to == cursor)
        .values(total=Broadcast.total + added, enqueued_up_to=last)
        .returning(Broadcast.id)
        .execution_options(synchronize_session=False)
    )
    if moved.first() is None:  # cancelled, or this chunk done by another run, meanwhile
        broadcast_id = broadcast.id
        await session.rollback()
        status = await session.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))
        return 0 if status == BroadcastStatus.SENDING.value else None
    await session.commit()
    return added


def _render(text: str) -> outbox.Render:
    def render(tr: Texts) -> str:
        return tr("broadcasts.message", text=text)

    return render


async def start_job(ctx: jobs.JobContext, payload: dict[str, Any]) -> datetime | None:
    """A slice of the enqueueing; while audience is left, the task comes back at once.

    A crash mid-slice leaves the task claimed until its lease runs out; then it runs again and
    resumes at the cursor, and the dedupe keys keep anyone from being queued twice. The
    chunking the task was queued with wins over the configured one.
    """
    configured = ctx.section(BroadcastRules)
    rules = replace(configured,
                    chunk=int(payload.get("chunk", configured.chunk)),
                    chunks_per_run=int(payload.get("chunks_per_run", configured.chunks_per_run)))
    _, more = await enqueue(ctx.session, int(payload["broadcast_id"]), rules,
                            rules.chunks_per_run)
    return utcnow() if more else None


async def progress(session: AsyncSession, broadcast_id: int) -> Progress:
    counts = await outbox.status_counts(session, broadcast_id)
    return Progress(
        total=sum(counts.values()),
        sent=counts.get(OutboxStatus.SENT.value, 0),
        failed=counts.get(OutboxStatus.FAILED.value, 0),
        blocked=counts.get(OutboxStatus.BLOCKED.value, 0),
        cancelled=counts.get(OutboxStatus.CANCELLED.value, 0),
        remaining=counts.get(OutboxStatus.PENDING.value, 0),
    )


async def cancel(session: AsyncSession, broadcast_id: int, *, actor: str) -> Progress:
    """Stop a scheduled or running broadcast: whatever is still queued is not sent."""
    broadcast = await get_broadcast(session, broadcast_id)
    # Compare-and-set: a broadcast that finished (or was cancelled) since we read it stays so.
    running = (BroadcastStatus.SCHEDULED.value, BroadcastStatus.SENDING.value)
    won = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status.in_(running))
        .values(status=BroadcastStatus.CANCELLED.value, finished_at=utcnow())
        .returning(Broadcast.id)
        .execution_options(synchronize_session=False)
    )
    if won.first() is None:
        raise Conflict("broadcasts.not_running")
    await session.refresh(broadcast)
    await jobs.cancel(session, _start_key(broadcast_id))
    await outbox.cancel_broadcast_rows(session, broadcast_id)
    await session.flush()
    figures = await progress(session, broadcast_id)
    _store(broadcast, figures)
    await audit.record(session, actor, "broadcast.cancel", "broadcast", broadcast_id,
                       sent=figures.sent, cancelled=figures.cancelled)
    return figures


def _store(broadcast: Broadcast, figures: Progress) -> None:
    broadcast.sent = figures.sent
    broadcast.failed = figures.failed
    broadcast.blocked = figures.blocked
    broadcast.cancelled = figures.cancelled


async def history(
    session: AsyncSession, *, offset: int = 0, limit: int = 5
) -> tuple[list[Broadcast], int]:
    total = await session.scalar(select(func.count()).select_from(Broadcast)) or 0
    rows = await session.scalars(
        select(Broadcast).order_by(Broadcast.id.desc()).offset(offset).limit(limit)
    )
    return list(rows), int(total)


def report_text(tr: Texts, broadcast: Broadcast, figures: Progress) -> str:
    """The figures of one broadcast, in the staff member's language."""
    return tr(
        "broadcasts.report",
        id=broadcast.id,
        status=tr(f"broadcasts.status.{broadcast.status}"),
        total=figures.total,
        sent=figures.sent,
        failed=figures.failed,
        blocked=figures.blocked,
        cancelled=figures.cancelled,
        remaining=figures.remaining,
        when=format_datetime(broadcast.started_at or broadcast.scheduled_at
                             or broadcast.created_at),
    )


async def finish_job(ctx: jobs.JobContext) -> None:
    await finish_broadcasts(ctx.session, ctx.now)


async def finish_broadcasts(session: AsyncSession, now: datetime) -> None:
    """Close broadcasts with nothing left to send and queue the final report to the author."""
    running = list(
        await session.scalars(
            select(Broadcast).where(
                Broadcast.status == BroadcastStatus.SENDING.value,
                Broadcast.enqueue_done.is_(True),
            )
        )
    )
    for broadcast in running:
        figures = await progress(session, broadcast.id)
        if not figures.finished:
            continue
        won = await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast.id,
                   Broadcast.status == BroadcastStatus.SENDING.value)
            .values(status=BroadcastStatus.DONE.value, finished_at=now, sent=figures.sent,
                    failed=figures.failed, blocked=figures.blocked,
                    cancelled=figures.cancelled)
            .returning(Broadcast.id)
        )
        if won.first() is None or not broadcast.author_chat_id:
            continue
        broadcast.status = BroadcastStatus.DONE.value
        author = outbox.Recipient(0, "telegram", broadcast.author_chat_id,
                                  broadcast.author_language, None, None)
        await outbox.notify(session, [author], _final_report(broadcast, figures), urgent=True,
                            dedupe=f"broadcast:{broadcast.id}:report")


def _final_report(broadcast: Broadcast, figures: Progress) -> outbox.Render:
    def render(tr: Texts) -> str:
        return tr("broadcasts.final") + "\n\n" + report_text(tr, broadcast, figures)

    return render
