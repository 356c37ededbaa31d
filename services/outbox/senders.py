"""Senders sharing one bot's rate when there is no Redis for a shared token bucket."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import is_postgres, utcnow
from services.models import (
    OutboxSender,
)
from services.timeutil import as_utc


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
