"""The senders' table through which processes without Redis split a bot's rate: leases,
the live count, the pace each records, a shared pause, and rows of long-gone senders."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from services import outbox
from services.db import utcnow
from services.models import OutboxSender

LEASE = timedelta(seconds=5)


async def test_senders_join_renew_pace_pause_and_leave(session):
    now = utcnow()
    assert await outbox.sender_peers(session, "tg", now=now) == outbox.SenderPeers(0, 0, None)
    assert await outbox.join_senders(session, "tg", "a", lease=LEASE, now=now) == 1
    # A renewal keeps one row; another bot's sender is not counted with this one's.
    assert await outbox.join_senders(session, "tg", "a", lease=LEASE, now=now) == 1
    assert await outbox.join_senders(session, "viber", "v", lease=LEASE, now=now) == 1
    assert await outbox.join_senders(session, "tg", "b", lease=LEASE, now=now) == 2
    await outbox.set_sender_peers(session, "b", 2)
    await session.commit()
    look = await outbox.sender_peers(session, "tg", now=now)
    assert (look.live, look.fewest_peers, look.paused_until) == (2, 1, None)

    later = now + timedelta(seconds=3)
    await outbox.join_senders(session, "tg", "b", lease=LEASE, now=later)  # renewed, a not
    await outbox.pause_senders(session, "b", later + timedelta(seconds=30))
    await session.commit()
    look = await outbox.sender_peers(session, "tg", now=now + timedelta(seconds=6))
    assert (look.live, look.fewest_peers) == (1, 2)  # a's lease ran out
    assert look.paused_until == later + timedelta(seconds=30)

    row = await session.get(OutboxSender, "b")
    assert row is not None and (row.bot, row.peers) == ("tg", 2)

    # Senders gone for over a day leave no row behind once anybody of their bot joins.
    next_day = now + timedelta(days=1, seconds=10)
    assert await outbox.join_senders(session, "tg", "c", lease=LEASE, now=next_day) == 1
    await session.commit()
    assert set(await session.scalars(select(OutboxSender.name))) == {"c", "v"}
    await outbox.leave_senders(session, "c")
    await session.commit()
    assert set(await session.scalars(select(OutboxSender.name))) == {"v"}
