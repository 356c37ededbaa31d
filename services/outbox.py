"""Enqueueing into the persistent outbox, and the claim/record steps every sender uses.

A notification is written in the same transaction as the change that causes it, so a crash
either keeps both or neither. Senders claim rows with a lease; a row whose lease ran out (its
sender died) is claimed again. A sender only sends a row while it still holds the lease, and
records results within a fraction of a second, so the only rows that can go out twice are those
already handed to the messenger but not yet recorded when the process died (at-least-once for
that small window, exactly-once for everything else).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, and_, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import jobs
from services.db import insert_ignoring_conflicts, is_postgres, utcnow
from services.i18n import Texts, get_translator
from services.models import (
    Channel,
    ChannelIdentity,
    OutboxMessage,
    OutboxSender,
    OutboxStatus,
    Priority,
    Resident,
    Role,
)
from services.timeutil import as_utc, quiet_hours_end

Render = Callable[[Texts], str]


@dataclass(frozen=True, slots=True)
class Recipient:
    resident_id: int
    channel: str
    chat_id: str
    language: str
    quiet_from: int | None
    quiet_to: int | None


def reachable_recipients() -> Select[Any]:
    """Rows of `Recipient`: every chat of every resident who can and wants to be told things."""
    return (
        select(
            Resident.id,
            ChannelIdentity.channel,
            ChannelIdentity.chat_id,
            Resident.language,
            Resident.quiet_from,
            Resident.quiet_to,
        )
        .join(ChannelIdentity, ChannelIdentity.resident_id == Resident.id)
        .where(
            Resident.is_active.is_(True),
            Resident.notifications_enabled.is_(True),
            Resident.forgotten_at.is_(None),
            ChannelIdentity.is_blocked.is_(False),
        )
    )


async def recipients_for(
    session: AsyncSession, resident_ids: Iterable[int] | None = None
) -> list[Recipient]:
    """Reachable channel identities of the given residents (all active residents if None)."""
    query = reachable_recipients()
    if resident_ids is not None:
        ids = list(set(resident_ids))
        if not ids:
            return []
        rows: list[Any] = []
        for start in range(0, len(ids), 500):  # stay under the bind-parameter limits
            chunk = ids[start : start + 500]
            rows.extend((await session.execute(query.where(Resident.id.in_(chunk)))).all())
    else:
        rows = list((await session.execute(query)).all())
    return [Recipient(*row) for row in rows]


async def staff_recipients(session: AsyncSession, role: Role, channel: str | None = None
                           ) -> list[Recipient]:
    """Staff accounts holding `role` (admins included), in their own language if known; on
    `channel` only, or on every channel they hold the role on (None)."""
    channels = [channel] if channel is not None else [c.value for c in Channel]
    result: list[Recipient] = []
    for name in channels:
        result += await _staff_recipients_on(session, role, name)
    return result


async def _staff_recipients_on(session: AsyncSession, role: Role, channel: str
                               ) -> list[Recipient]:
    from services.roles import accounts_with_role

    accounts = await accounts_with_role(session, channel, role)
    if not accounts:
        return []
    known = {
        ext: (rid, lang)
        for ext, rid, lang in (
            await session.execute(
                select(ChannelIdentity.external_id, Resident.id, Resident.language)
                .join(Resident, Resident.id == ChannelIdentity.resident_id)
                .where(ChannelIdentity.channel == channel,
                       ChannelIdentity.external_id.in_(accounts))
            )
        ).all()
    }
    result = []
    for ext in accounts:
        rid, lang = known.get(ext, (None, "uk"))
        # Staff chats are private chats with the bot: the chat id is the account id.
        result.append(Recipient(rid or 0, channel, ext, lang, None, None))
    return result


async def notify(
    session: AsyncSession,
    recipients: Sequence[Recipient],
    render: Render,
    *,
    priority: Priority = Priority.NORMAL,
    urgent: bool = False,
    dedupe: str | None = None,
    buttons: Callable[[Texts], list[list[dict[str, Any]]]] | None = None,
    photo: str | None = None,
    document: str | None = None,
    broadcast_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Queue one message per recipient, rendered in each one's language.

    `dedupe` makes the call idempotent: the same key never queues a second copy for the same
    recipient, however often a job or a retry runs. Non-urgent messages wait out quiet hours.
    Returns how many rows were queued.
    """
    if not recipients:
        return 0
    now = now or utcnow()
    translator = get_translator()
    rendered: dict[str, tuple[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    for r in recipients:
        if r.language not in rendered:
            texts = translator.for_language(r.language)
            rendered[r.language] = (render(texts), buttons(texts) if buttons else None)
        text, markup = rendered[r.language]
        rows.append(
            {
                "channel": r.channel,
                "chat_id": r.chat_id,
                "resident_id": r.resident_id or None,
                "text": text,
                "buttons": markup,
                "photo": photo,
                "document": document,
                "priority": int(Priority.URGENT if urgent else priority),
                "not_before": now if urgent else quiet_hours_end(now, r.quiet_from, r.quiet_to),
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "broadcast_id": broadcast_id,
                "dedupe_key": f"{dedupe}:{r.channel}:{r.chat_id}" if dedupe else None,
                "created_at": now,
            }
        )
    queued = 0
    # RETURNING counts the rows really inserted (executemany rowcount is -1 on asyncpg).
    stmt = insert_ignoring_conflicts(session, OutboxMessage.__table__).returning(
        OutboxMessage.__table__.c.id
    )
    for start in range(0, len(rows), 1000):
        result = await session.execute(stmt, rows[start : start + 1000])
        queued += len(result.all())
    return queued


async def notify_residents(
    session: AsyncSession, resident_ids: Iterable[int], render: Render, **kwargs: Any
) -> int:
    """`notify` for residents by id (the common case for domain events)."""
    return await notify(session, await recipients_for(session, resident_ids), render, **kwargs)


@dataclass(frozen=True, slots=True)
class Claimed:
    """What a sender needs of one claimed row (plain values: no ORM cost on the hot path)."""

    id: int
    channel: str
    chat_id: str
    resident_id: int | None
    text: str
    photo: str | None
    document: str | None
    buttons: list[list[dict[str, Any]]] | None
    priority: int
    attempts: int
    broadcast_id: int | None


_CLAIMED_COLUMNS = [OutboxMessage.__table__.c[name] for name in Claimed.__slots__]


async def claim_batch(
    session: AsyncSession,
    worker: str,
    *,
    channel: str,
    limit: int,
    lease: timedelta = timedelta(seconds=60),
    now: datetime | None = None,
) -> list[Claimed]:
    """Atomically take up to `limit` ready rows for `worker`, urgent first, longest-due first.

    PostgreSQL locks the candidates with `FOR UPDATE SKIP LOCKED` in a materialized CTE, so two
    processes never take the same row; SQLite runs the single `UPDATE .. RETURNING` under its one
    write lock. The outer WHERE repeats the readiness test so a row changed meanwhile is skipped.
    """
    now = now or utcnow()
    claimable = and_(
        OutboxMessage.status == OutboxStatus.PENDING.value,
        OutboxMessage.channel == channel,
        OutboxMessage.not_before <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    )
    ready = (
        select(OutboxMessage.id)
        .where(claimable)
        # (priority, not_before, id) walks ix_outbox_ready in order and stops at the limit;
        # ordering by (priority, id) would sort every pending row on each claim.
        .order_by(OutboxMessage.priority, OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
    )
    if is_postgres(session):
        cte = ready.with_for_update(skip_locked=True).cte("ready").prefix_with("MATERIALIZED")
        chosen: Any = OutboxMessage.id.in_(select(cte.c.id))
    else:
        chosen = OutboxMessage.id.in_(ready.scalar_subquery())
    table = cast(Table, OutboxMessage.__table__)
    stmt = (
        update(table)
        .where(chosen, claimable)
        .values(
            claimed_by=worker,
            claimed_until=now + lease,
            attempts=table.c.attempts + 1,
        )
        .returning(*_CLAIMED_COLUMNS)
    )
    claimed = [Claimed(*row) for row in (await session.execute(stmt)).all()]
    claimed.sort(key=lambda m: (m.priority, m.id))
    return claimed


_OUTBOX = cast(Table, OutboxMessage.__table__)


def _held_by(ids: Sequence[int], worker: str | None, *statuses: OutboxStatus) -> Any:
    allowed = [s.value for s in statuses or (OutboxStatus.PENDING,)]
    condition = and_(_OUTBOX.c.id.in_(ids), _OUTBOX.c.status.in_(allowed))
    if worker is not None:
        condition = and_(condition, _OUTBOX.c.claimed_by == worker)
    return condition


async def mark_sent(
    session: AsyncSession, ids: Sequence[int], worker: str, now: datetime | None = None
) -> None:
    """Record delivery of rows this worker still holds (also if cancelled while in flight)."""
    for start in range(0, len(ids), 500):
        await session.execute(
            update(_OUTBOX)
            .where(_held_by(ids[start : start + 500], worker, OutboxStatus.PENDING,
                            OutboxStatus.CANCELLED))
            .values(status=OutboxStatus.SENT.value, sent_at=now or utcnow(), claimed_until=None,
                    error=None)
        )


async def mark_final(
    session: AsyncSession,
    ids: Sequence[int],
    status: OutboxStatus,
    error: str | None = None,
    worker: str | None = None,
) -> None:
    """Close rows for good (failed, blocked, cancelled) with the reason."""
    for start in range(0, len(ids), 500):
        await session.execute(
            update(_OUTBOX)
            .where(_held_by(ids[start : start + 500], worker))
            .values(status=status.value, error=(error or "")[:500] or None, claimed_until=None)
        )


async def release(
    session: AsyncSession,
    ids: Sequence[int],
    not_before: datetime,
    error: str | None = None,
    *,
    worker: str | None = None,
    count_attempt: bool = True,
) -> None:
    """Give rows back to the queue to retry after `not_before`.

    `count_attempt=False` is for rows that were never tried (rate limit, pacing): the claim's
    attempt is given back so they do not run out of retries while waiting their turn.
    """
    if not ids:
        return
    values: dict[str, Any] = {
        "not_before": not_before, "claimed_until": None, "claimed_by": None,
    }
    if error is not None:
        values["error"] = error[:500]
    if not count_attempt:
        values["attempts"] = _OUTBOX.c.attempts - 1
    for start in range(0, len(ids), 500):
        await session.execute(
            update(_OUTBOX)
            .where(_held_by(ids[start : start + 500], worker))
            .values(**values)
        )


async def mark_chat_blocked(session: AsyncSession, channel: str, chat_id: str) -> None:
    """The person blocked the bot: stop counting them as reachable until they come back.

    Their queued, unclaimed messages are closed as blocked too: each would only earn another 403.
    """
    identity_ids = select(ChannelIdentity.resident_id).where(
        ChannelIdentity.channel == channel, ChannelIdentity.chat_id == chat_id
    )
    await session.execute(
        update(ChannelIdentity)
        .where(ChannelIdentity.channel == channel, ChannelIdentity.chat_id == chat_id)
        .values(is_blocked=True)
        .execution_options(synchronize_session=False)
    )
    # A resident with no other reachable channel becomes inactive.
    still_reachable = select(ChannelIdentity.resident_id).where(
        ChannelIdentity.is_blocked.is_(False)
    )
    await session.execute(
        update(Resident)
        .where(Resident.id.in_(identity_ids), Resident.id.not_in(still_reachable))
        .values(is_active=False)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.status == OutboxStatus.PENDING.value,
            OutboxMessage.claimed_by.is_(None),
        )
        .values(status=OutboxStatus.BLOCKED.value, error="blocked by the user")
        .execution_options(synchronize_session=False)
    )


async def next_due(
    session: AsyncSession, channel: str, *, now: datetime | None = None
) -> datetime | None:
    """When the earliest pending row of `channel` can next be claimed (None if none).

    A row leased by a sender counts from the end of its lease: if that sender died, this is when
    the row becomes claimable again.
    """
    now = now or utcnow()
    ready_at = case(
        (
            and_(
                OutboxMessage.claimed_until.is_not(None),
                OutboxMessage.claimed_until > OutboxMessage.not_before,
            ),
            OutboxMessage.claimed_until,
        ),
        else_=OutboxMessage.not_before,
    )
    value = await session.scalar(
        select(func.min(ready_at)).where(
            OutboxMessage.status == OutboxStatus.PENDING.value,
            OutboxMessage.channel == channel,
        )
    )
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back CASE results as text
        value = datetime.fromisoformat(value)
    return as_utc(value)


async def status_counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """How many rows of one broadcast are in each status."""
    rows = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .group_by(OutboxMessage.status)
    )
    return {status: int(n) for status, n in rows.all()}


async def cancel_broadcast_rows(session: AsyncSession, broadcast_id: int) -> int:
    """Stop what is still queued of a broadcast; rows already in a sender's hands may still go."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.broadcast_id == broadcast_id,
            OutboxMessage.status == OutboxStatus.PENDING.value,
        )
        .values(status=OutboxStatus.CANCELLED.value, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


# ---- personal data in the outbox: erased at /forget, finished rows kept for a while -------
_retention = timedelta(days=30)


def configure_retention(days: int) -> None:
    """How long finished rows stay (OUTBOX_RETENTION_DAYS); set once at start-up."""
    global _retention
    _retention = timedelta(days=days)


async def erase_resident(session: AsyncSession, resident_id: int) -> None:
    """/forget: nothing of the person's messages stays but what broadcast figures need.

    Rows of a broadcast keep their status (queued ones become cancelled) without chat, text or
    profile; every other row of theirs is deleted.
    """
    mine = OutboxMessage.resident_id == resident_id
    await session.execute(
        delete(OutboxMessage).where(mine, OutboxMessage.broadcast_id.is_(None))
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(OutboxMessage)
        .where(mine, OutboxMessage.status == OutboxStatus.PENDING.value)
        .values(status=OutboxStatus.CANCELLED.value, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(OutboxMessage)
        .where(mine)
        .values(chat_id="", resident_id=None, text="", buttons=None, photo=None, document=None,
                dedupe_key=None, error=None)
        .execution_options(synchronize_session=False)
    )


async def purge_finished(session: AsyncSession, now: datetime,
                         keep: timedelta | None = None) -> int:
    """Delete rows finished (sent, failed, blocked, cancelled) longer than `keep` ago."""
    cutoff = now - (keep if keep is not None else _retention)
    result = await session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.status != OutboxStatus.PENDING.value,
            func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < cutoff,
        )
        .execution_options(synchronize_session=False)
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


async def purge_job(ctx: jobs.JobContext) -> None:
    """The daily clean-up of finished rows (declared by the core feature)."""
    await purge_finished(ctx.session, ctx.now)


# ---- senders sharing one bot's rate (when there is no Redis to share a token bucket) ---------
@dataclass(frozen=True, slots=True)
class SenderPeers:
    """One look at the senders of a bot: how many are alive, what they pace for, any pause."""

    live: int
    fewest_peers: int  # the smallest `peers` among the live ones (0 when none is alive)
    paused_until: datetime | None


async def sender_peers(session: AsyncSession, bot: str, *, now: datetime | None = None
                       ) -> SenderPeers:
    """The live senders of `bot` (lease not run out) and the latest pause any of them set."""
    now = now or utcnow()
    live = OutboxSender.seen_until > now
    count, fewest, paused = (await session.execute(
        select(func.coalesce(func.sum(case((live, 1), else_=0)), 0),
               func.min(case((live, OutboxSender.peers))),
               func.max(OutboxSender.paused_until))
        .where(OutboxSender.bot == bot)
    )).one()
    if isinstance(paused, str):  # SQLite may hand back aggregates of datetimes as text
        paused = datetime.fromisoformat(paused)
    paused = as_utc(paused) if paused is not None else None
    return SenderPeers(int(count), int(fewest or 0),
                       paused if paused is not None and paused > now else None)


async def join_senders(session: AsyncSession, bot: str, name: str, *, lease: timedelta,
                       now: datetime | None = None) -> int:
    """Renew `name`'s lease among the senders of `bot`; returns how many are alive (it too).

    Joins are serialized per bot (an advisory lock on PostgreSQL, the one writer on SQLite) and
    the caller records its new `peers` in the same transaction, so a sender that counts the
    others always sees every earlier join together with the pace it was recorded at.
    """
    now = now or utcnow()
    if is_postgres(session):
        await session.execute(select(func.pg_advisory_xact_lock(_lock_key(bot))))
    table = cast(Table, OutboxSender.__table__)
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    await session.execute(
        insert(table).values(name=name, bot=bot, peers=1, seen_until=now + lease)
        .on_conflict_do_update(index_elements=[table.c.name],
                               set_={"bot": bot, "seen_until": now + lease})
    )
    # Rows of senders gone for a day are of no more use, not even their pauses.
    await session.execute(
        delete(OutboxSender).where(OutboxSender.bot == bot,
                                   OutboxSender.seen_until < now - timedelta(days=1))
    )
    return int(await session.scalar(
        select(func.count()).where(OutboxSender.bot == bot, OutboxSender.seen_until > now)
    ) or 0)


async def set_sender_peers(session: AsyncSession, name: str, peers: int) -> None:
    await session.execute(
        update(OutboxSender).where(OutboxSender.name == name).values(peers=peers)
    )


async def pause_senders(session: AsyncSession, name: str, until: datetime) -> None:
    """A 429: `name` tells every sender of its bot to wait until `until`."""
    await session.execute(
        update(OutboxSender)
        .where(OutboxSender.name == name,
               or_(OutboxSender.paused_until.is_(None), OutboxSender.paused_until < until))
        .values(paused_until=until)
    )


async def leave_senders(session: AsyncSession, name: str) -> None:
    await session.execute(delete(OutboxSender).where(OutboxSender.name == name))


def _lock_key(bot: str) -> int:
    return zlib.crc32(f"outbox_senders:{bot}".encode())
