"""Senders sharing one bot's rate when there is no Redis for a shared token bucket."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Table,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
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


_SENDERS = cast(Table, OutboxSender.__table__)
_COLUMNS = _SENDERS.c
# Built once, bound by name: a look runs four times a second in every process, and building
# and compiling these anew cost ~1 ms a look, ~3.5 ms a join (a dialect's ON CONFLICT
# clause is never taken from SQLAlchemy's cache), a few per cent of a busy bot's CPU.
_ALIVE = _COLUMNS.seen_until > bindparam("p_now")
_LOOK = (
    select(func.coalesce(func.sum(case((_ALIVE, 1), else_=0)), 0),
           func.min(case((_ALIVE, _COLUMNS.peers))),
           func.max(_COLUMNS.paused_until))
    .where(_COLUMNS.bot == bindparam("p_bot"))
)
_RENEW = (
    update(_SENDERS).where(_COLUMNS.name == bindparam("p_name"))
    .values(bot=bindparam("p_bot"), seen_until=bindparam("p_until"))
)
_ADD = insert(_SENDERS).values(name=bindparam("p_name"), bot=bindparam("p_bot"), peers=1,
                               seen_until=bindparam("p_until"))
_FORGET = delete(_SENDERS).where(_COLUMNS.bot == bindparam("p_bot"),
                                 _COLUMNS.seen_until < bindparam("p_gone"))
_COUNT_ALIVE = select(func.count()).select_from(_SENDERS).where(
    _COLUMNS.bot == bindparam("p_bot"), _ALIVE)
_SET_PEERS = update(_SENDERS).where(_COLUMNS.name == bindparam("p_name")).values(
    peers=bindparam("p_peers"))


async def sender_peers(session: AsyncSession, bot: str, *, now: datetime | None = None
                       ) -> SenderPeers:
    """The live senders of `bot` (lease not run out) and the latest pause any of them set."""
    now = now or utcnow()
    count, fewest, paused = (await session.execute(
        _LOOK, {"p_now": now, "p_bot": bot})).one()
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
    # Only this sender writes its row (its name is its own), so no insert can race this one.
    params = {"p_name": name, "p_bot": bot, "p_until": now + lease}
    renewed = cast(CursorResult[Any], await session.execute(_RENEW, params))
    if renewed.rowcount == 0:
        await session.execute(_ADD, params)
    # Rows of senders gone for a day are of no more use, not even their pauses.
    await session.execute(_FORGET, {"p_bot": bot, "p_gone": now - timedelta(days=1)})
    return int(await session.scalar(_COUNT_ALIVE, {"p_bot": bot, "p_now": now}) or 0)


async def set_sender_peers(session: AsyncSession, name: str, peers: int) -> None:
    await session.execute(_SET_PEERS, {"p_name": name, "p_peers": peers})


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
