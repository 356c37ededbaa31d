"""The outbox sender against the fake Bot API over HTTP and a real database."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.telegram.transport import TelegramSender
from bot.outbox import worker as delivery
from services import outbox, residents
from services.db import make_engine, make_sessionmaker, utcnow
from services.models import ChannelIdentity, OutboxMessage, OutboxStatus, Priority, Resident
from services.timeutil import to_local
from tests.conftest import BACKEND, REDIS_URL
from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "123456:" + "A" * 35
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramAPI]:
    server = FakeTelegramAPI()
    await server.start()
    yield server
    await server.stop()


def make_bot(fake: FakeTelegramAPI) -> Bot:
    return Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.url)))


@pytest.fixture
async def bot(fake: FakeTelegramAPI) -> AsyncIterator[Bot]:
    bot = make_bot(fake)
    yield bot
    await bot.session.close()


def sender(bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], worker: str = "w1",
           **kw: object) -> TelegramSender:
    options: dict[str, object] = {"rate_per_second": 200, "per_chat_interval": 0.0}
    options.update(kw)
    return TelegramSender(bot, sessionmaker, worker_id=worker, **options)  # type: ignore[arg-type]


async def make_residents(session: AsyncSession, first_id: int, count: int) -> list[int]:
    ids = []
    for uid in range(first_id, first_id + count):
        r = await residents.give_consent(
            session, channel="telegram", external_id=str(uid), chat_id=str(uid), language="uk"
        )
        ids.append(r.id)
    await session.commit()
    return ids


async def enqueue(session: AsyncSession, resident_ids: list[int], text: str = "hello",
                  **kw: object) -> None:
    await outbox.notify_residents(session, resident_ids, lambda tr: text, **kw)
    await session.commit()


async def statuses(session: AsyncSession) -> Counter[str]:
    session.expire_all()
    return Counter((await session.execute(select(OutboxMessage.status))).scalars().all())


async def test_sends_html_with_buttons_and_records(fake, bot, sessionmaker, session):
    ids = await make_residents(session, 100, 3)
    await enqueue(
        session, ids, "<b>News</b>",
        buttons=lambda tr: [[{"text": "Open", "url": "https://example.org/x"}],
                            [{"text": "More", "callback": "m:petitions"}]],
    )
    sent = await sender(bot, sessionmaker).drain()
    assert sent == 3
    assert sorted(s.chat_id for s in fake.sent) == [100, 101, 102]
    first = fake.to_chat(100)[0]
    assert first.text == "<b>News</b>"
    assert first.params["parse_mode"] == "HTML"
    assert first.button("Open")["url"] == "https://example.org/x"
    assert first.button("More")["callback_data"] == "m:petitions"
    assert await statuses(session) == Counter({OutboxStatus.SENT.value: 3})
    # Nothing left: a second drain sends nothing.
    assert await sender(bot, sessionmaker).drain() == 0
    assert len(fake.sent) == 3


async def test_photo_goes_with_caption(fake, bot, sessionmaker, session):
    ids = await make_residents(session, 100, 1)
    await enqueue(session, ids, "caption text", photo="photo-file-id")
    await sender(bot, sessionmaker).drain()
    [msg] = fake.to_chat(100)
    assert msg.method == "sendPhoto"
    assert msg.text == "caption text"
    assert msg.params["photo"] == "photo-file-id"


async def test_resumes_after_a_crash_without_loss_or_repeat(fake, bot, sessionmaker, session):
    ids = await make_residents(session, 200, 10)
    await enqueue(session, ids)
    # A sender claimed four rows and died before sending them (its lease: 1 s).
    dead = await outbox.claim_batch(session, "dead-worker", channel="telegram", limit=4,
                                    lease=timedelta(seconds=1))
    await session.commit()
    assert len(dead) == 4
    dead_chats = {int(m.chat_id) for m in dead}

    live = sender(bot, sessionmaker, "live", drain_horizon_seconds=0)
    assert await live.drain() == 6
    assert not dead_chats & {s.chat_id for s in fake.sent}  # still leased to the dead worker
    assert (await statuses(session))[OutboxStatus.PENDING.value] == 4

    await asyncio.sleep(1.1)  # the lease runs out
    assert await live.drain() == 4
    assert Counter(s.chat_id for s in fake.sent) == Counter(range(200, 210))
    assert await statuses(session) == Counter({OutboxStatus.SENT.value: 10})


async def test_a_sender_cancelled_mid_run_loses_nothing(fake, bot, sessionmaker, session):
    ids = await make_residents(session, 300, 40)
    await enqueue(session, ids)
    stop = asyncio.Event()
    first = sender(bot, sessionmaker, "first", rate_per_second=40, lease_seconds=2)
    ten_sent = asyncio.Event()
    fake.on_send = lambda _sent: ten_sent.set() if len(fake.sent) >= 10 else None
    task = asyncio.create_task(first.run(stop))
    await asyncio.wait_for(ten_sent.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(2.1)  # leases of whatever it still held run out
    await sender(bot, sessionmaker, "second").drain()
    assert Counter(s.chat_id for s in fake.sent) == Counter(range(300, 340))
    assert await statuses(session) == Counter({OutboxStatus.SENT.value: 40})


async def test_429_pauses_and_retries(fake, bot, sessionmaker, session):
    """The guarantee: no send *starts* after a 429 was received until `retry_after` passed.

    Sends already under way when the 429 comes back may land on the server afterwards; that
    is not under the sender's control, so the test times requests where they start, in the
    bot's own HTTP session.
    """
    ids = await make_residents(session, 400, 6)
    await enqueue(session, ids)
    fake.fail_next("sendMessage", 429, retry_after=1)
    starts: list[float] = []
    received_429: list[float] = []

    async def timing(make_request, bot_, method):  # type: ignore[no-untyped-def]
        if type(method).__name__ == "SendMessage":
            starts.append(time.monotonic())
        try:
            return await make_request(bot_, method)
        except TelegramRetryAfter:
            received_429.append(time.monotonic())
            raise

    bot.session.middleware(timing)
    assert await sender(bot, sessionmaker).drain() == 6
    assert fake.count_429 == 1 and len(received_429) == 1
    assert Counter(s.chat_id for s in fake.sent) == Counter(range(400, 406))
    pause_end = received_429[0] + 1
    assert [t for t in starts if received_429[0] < t < pause_end] == []
    assert any(t >= pause_end for t in starts)  # the refused message went out after the pause
    rows = (await session.execute(select(OutboxMessage))).scalars().all()
    assert {r.status for r in rows} == {OutboxStatus.SENT.value}
    assert all(r.attempts == 1 for r in rows)  # a 429 is not a failed attempt


async def test_a_send_holding_a_token_waits_out_a_429_that_came_meanwhile(
        fake, bot, sessionmaker, session, monkeypatch):
    """The edge of that guarantee: the 429 arrives between a token's grant and its send."""
    ids = await make_residents(session, 450, 1)
    await enqueue(session, ids)
    s = sender(bot, sessionmaker)
    paused_at: list[float] = []
    starts: list[float] = []

    async def timing(make_request, bot_, method):  # type: ignore[no-untyped-def]
        starts.append(time.monotonic())
        return await make_request(bot_, method)

    bot.session.middleware(timing)
    real_throttle_for = delivery.throttle_for

    def throttle_for(*args: Any) -> delivery.Throttle:
        throttle = real_throttle_for(*args)
        acquire = throttle.acquire

        async def acquire_then_429(priority: int = 0) -> None:
            await acquire(priority)
            if not paused_at:  # another sender's 429 lands right after this grant
                paused_at.append(time.monotonic())
                throttle.pause(0.5)

        throttle.acquire = acquire_then_429  # type: ignore[method-assign]
        return throttle

    monkeypatch.setattr(delivery, "throttle_for", throttle_for)
    assert await s.drain() == 1
    assert len(starts) == 1 and starts[0] >= paused_at[0] + 0.5


async def test_403_marks_resident_inactive(fake, bot, sessionmaker, session):
    ids = await make_residents(session, 500, 2)
    fake.blocked_chats.add(500)
    await enqueue(session, ids)
    await enqueue(session, ids[:1], "second one")  # a second queued message to the same person
    assert await sender(bot, sessionmaker).drain() == 1
    assert [s.chat_id for s in fake.sent] == [501]
    session.expire_all()
    blocked = await session.get(Resident, ids[0])
    assert blocked is not None and blocked.is_active is False
    identity = await session.scalar(
        select(ChannelIdentity).where(ChannelIdentity.resident_id == ids[0]))
    assert identity is not None and identity.is_blocked
    assert await statuses(session) == Counter(
        {OutboxStatus.SENT.value: 1, OutboxStatus.BLOCKED.value: 2})
    # No longer reachable: new notifications skip them.
    assert [r.resident_id for r in await outbox.recipients_for(session, ids)] == [ids[1]]


async def test_other_errors_are_retried_then_failed(fake, bot, sessionmaker, session):
    ids = await make_residents(session, 600, 1)
    await enqueue(session, ids)
    fake.fail_next("sendMessage", 500, times=2)
    s = sender(bot, sessionmaker, max_attempts=3, retry_base_seconds=0.05)
    assert await s.drain() == 1
    assert len(fake.to_chat(600)) == 1

    await enqueue(session, ids, "doomed")
    fake.fail_next("sendMessage", 500, times=10)
    assert await s.drain() == 0
    row = await session.scalar(select(OutboxMessage).where(OutboxMessage.text == "doomed"))
    assert row is not None
    assert row.status == OutboxStatus.FAILED.value
    assert row.attempts == 3
    assert len(fake.faults["sendmessage"]) == 10 - 3


async def test_quiet_hours_delay_non_urgent(fake, bot, sessionmaker, session):
    ids = await make_residents(session, 700, 1)
    hour = to_local(utcnow()).hour
    resident = await session.get(Resident, ids[0])
    assert resident is not None
    resident.quiet_from, resident.quiet_to = hour, (hour + 2) % 24
    await session.commit()
    await enqueue(session, ids, "digest")
    assert await sender(bot, sessionmaker).drain() == 0
    assert fake.sent == []
    row = await session.scalar(select(OutboxMessage))
    assert row is not None and row.status == OutboxStatus.PENDING.value
    await enqueue(session, ids, "stream starts now", urgent=True)
    assert await sender(bot, sessionmaker).drain() == 1
    assert [s.text for s in fake.sent] == ["stream starts now"]


async def test_urgent_goes_before_bulk(fake, bot, sessionmaker, session):
    ids = await make_residents(session, 800, 6)
    await enqueue(session, ids[:5], "bulk", priority=Priority.BULK)
    await enqueue(session, ids[5:], "live now", urgent=True)
    assert await sender(bot, sessionmaker, rate_per_second=20).drain() == 6
    assert fake.sent[0].text == "live now"
    assert [s.text for s in fake.sent[1:]] == ["bulk"] * 5


async def test_one_message_per_second_per_chat(fake, bot, sessionmaker, session):
    ids = await make_residents(session, 900, 1)
    await enqueue(session, ids, "one")
    await enqueue(session, ids, "two")
    starts: list[float] = []

    async def timing(make_request, bot_, method):  # type: ignore[no-untyped-def]
        starts.append(time.monotonic())
        return await make_request(bot_, method)

    # Timed where sends start: the server's arrival times also carry the network's jitter.
    bot.session.middleware(timing)
    assert await sender(bot, sessionmaker, per_chat_interval=0.5).drain() == 2
    assert len(fake.to_chat(900)) == 2
    first, second = starts
    assert second - first >= 0.5 - 0.01  # the event loop may wake a timer a tick early


async def test_two_senders_deliver_each_row_once(fake, database_url, sessionmaker, session):
    count = 120
    ids = await make_residents(session, 1000, count)
    await enqueue(session, ids)
    # Two "processes": separate engines, bots and worker ids on the same database.
    engines = [make_engine(database_url) for _ in range(2)]
    bots = [make_bot(fake) for _ in range(2)]
    try:
        senders = [
            TelegramSender(b, make_sessionmaker(e), worker_id=f"proc-{i}", rate_per_second=300,
                           per_chat_interval=0.0, batch_size=5)
            for i, (b, e) in enumerate(zip(bots, engines, strict=True))
        ]
        counts = await asyncio.gather(*(s.drain() for s in senders))
    finally:
        for b in bots:
            await b.session.close()
        for e in engines:
            await e.dispose()
    assert sum(counts) == count
    assert all(n > 0 for n in counts), counts  # both really took part
    assert Counter(s.chat_id for s in fake.sent) == Counter(range(1000, 1000 + count))
    workers = Counter((await session.execute(select(OutboxMessage.claimed_by))).scalars().all())
    assert set(workers) == {"proc-0", "proc-1"}
    assert await statuses(session) == Counter({OutboxStatus.SENT.value: count})


async def test_two_sender_processes_deliver_each_row_once(fake, database_url, session):
    """Two real OS processes (the bench's sender entry point) drain one database together."""
    count = 300
    ids = await make_residents(session, 2000, count)
    await enqueue(session, ids)
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.broadcast", "--sender", "--db", database_url,
            "--api", fake.url, "--rate", "100", "--worker", f"os-proc-{i}", "--wait-for-go",
            cwd=str(ROOT), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        for i in range(2)
    ]
    # Both start sending together, however long each took to start on a busy machine.
    for p in procs:
        assert p.stdout is not None
        assert await asyncio.wait_for(p.stdout.readline(), 60) == b"ready\n"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write(b"go\n")
        await p.stdin.drain()
    codes = [await asyncio.wait_for(p.wait(), 60) for p in procs]
    assert codes == [0, 0]
    assert Counter(s.chat_id for s in fake.sent) == Counter(range(2000, 2000 + count))
    assert await statuses(session) == Counter({OutboxStatus.SENT.value: count})
    workers = Counter((await session.execute(select(OutboxMessage.claimed_by))).scalars().all())
    assert set(workers) == {"os-proc-0", "os-proc-1"}, workers


# ---- several processes ----------------------------------------------------------------------
# Each "process" below is a sender with its own Bot, engine and (with Redis) client, run in its
# own thread and event loop: the in-process throttle belongs to one loop, so the two share
# nothing in memory, as two processes would not. What they must share is the budget.
SHARING = ["database"] + (["redis"] if BACKEND == "postgres" else [])


@dataclass
class ProcessLog:
    """What one sender process saw of HTTP: when each send started, when a 429 came back.

    `outer` wraps all of the Bot's request pipeline (so it hears of a 429 after every part of
    the process has), `inner` sits next to the HTTP request (it hears of it first).
    """

    starts: list[float] = field(default_factory=list)
    received_429: list[float] = field(default_factory=list)
    got_429: threading.Event = field(default_factory=threading.Event)

    async def outer(self, make_request, bot_, method):  # type: ignore[no-untyped-def]
        if type(method).__name__ == "SendMessage":
            self.starts.append(time.monotonic())
        try:
            return await make_request(bot_, method)
        except TelegramRetryAfter:
            self.got_429.set()
            raise

    async def inner(self, make_request, bot_, method):  # type: ignore[no-untyped-def]
        try:
            return await make_request(bot_, method)
        except TelegramRetryAfter:
            self.received_429.append(time.monotonic())
            raise


def drain_in_own_process(fake: FakeTelegramAPI, database_url: str, sharing: str,
                         redis_prefix: str, worker: str, log: ProcessLog,
                         **options: Any) -> int:
    """Runs in a thread: a fresh event loop, Bot, engine and sender; returns how many sent."""

    async def main() -> int:
        engine = make_engine(database_url)
        bot = make_bot(fake)
        bot.session.middleware(log.outer)
        redis = None
        if sharing == "redis":
            from redis.asyncio import Redis

            redis = Redis.from_url(REDIS_URL)
            options.update(redis=redis, key_prefix=redis_prefix)
        try:
            s = TelegramSender(bot, make_sessionmaker(engine), worker_id=worker,
                               per_chat_interval=0.0, **options)
            bot.session.middleware(log.inner)
            return await s.drain()
        finally:
            await bot.session.close()
            await engine.dispose()
            if redis is not None:
                await redis.aclose()

    return asyncio.run(main())


@pytest.mark.parametrize("sharing", SHARING)
async def test_two_processes_share_one_rate_limit(fake, database_url, session, sharing):
    """Each process is configured with the whole limit (as the README lets every one keep
    delivery on); together they must stay under what the server accepts."""
    count = 120
    ids = await make_residents(session, 3000, count)
    await enqueue(session, ids)
    fake.rate_limit = 50  # per second, across all chats: more earns a 429 (30 + margin)
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    logs = [ProcessLog(), ProcessLog()]
    counts = await asyncio.gather(*(
        asyncio.to_thread(drain_in_own_process, fake, database_url, sharing, prefix,
                          f"proc-{i}", logs[i], rate_per_second=30, batch_size=5)
        for i in range(2)
    ))
    assert fake.count_429 == 0
    assert Counter(s.chat_id for s in fake.sent) == Counter(range(3000, 3000 + count))
    assert sum(counts) == count and all(n > 0 for n in counts), counts
    assert await statuses(session) == Counter({OutboxStatus.SENT.value: count})


@pytest.mark.parametrize("sharing", SHARING)
async def test_a_429_in_one_process_pauses_the_other(fake, database_url, session, sharing):
    """Once one process received a 429, the other starts no send until `retry_after` passed.

    The second process starts once the first is done with its 429 (its own pipeline has let
    go of it); `retry_after` counts from when the 429 came back over HTTP.
    """
    count = 8
    ids = await make_residents(session, 3100, count)
    await enqueue(session, ids)
    fake.fail_next("sendMessage", 429, retry_after=2)
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    first, second = ProcessLog(), ProcessLog()

    def second_process() -> int:
        assert first.got_429.wait(30), "the first process never got its 429"
        return drain_in_own_process(fake, database_url, sharing, prefix, "second", second,
                                    rate_per_second=200)

    counts = await asyncio.gather(
        asyncio.to_thread(drain_in_own_process, fake, database_url, sharing, prefix, "first",
                          first, rate_per_second=200, batch_size=1),
        asyncio.to_thread(second_process),
    )
    assert fake.count_429 == 1 and len(first.received_429) == 1
    assert counts[1] > 0 and second.starts  # the second process really sent
    pause_end = first.received_429[0] + 2
    assert [t for t in second.starts if t < pause_end] == []
    assert Counter(s.chat_id for s in fake.sent) == Counter(range(3100, 3100 + count))
    assert await statuses(session) == Counter({OutboxStatus.SENT.value: count})
