"""Broadcast delivery against a fake Bot API that enforces L messages/second (429 above it).

    python -m bench.broadcast            # 100,000 at L=1000, 3,000 at L=30, then a SIGKILL run
    python -m bench.broadcast --quick    # the same with 10x fewer subscribers

The fake server runs in this (parent) process and counts deliveries per chat; the sender runs
as a separate process (`--sender`) against a SQLite file, so it can be killed with SIGKILL and
restarted. Prints achieved rate / L, 429s, lost and duplicated messages for each run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiogram import Bot  # noqa: E402
from aiogram.client.session.aiohttp import AiohttpSession  # noqa: E402
from aiogram.client.telegram import TelegramAPIServer  # noqa: E402
from sqlalchemy import insert  # noqa: E402

import services.models  # noqa: E402,F401
from bot.channels.telegram.transport import TelegramSender  # noqa: E402
from services import broadcasts  # noqa: E402
from services.db import Base, make_engine, make_sessionmaker, utcnow  # noqa: E402
from services.models import Channel, ChannelIdentity, Resident, Subscription, Topic  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI, Sent  # noqa: E402

TOKEN = "123456:" + "B" * 35
LEASE_SECONDS = 5.0
# The sender paces itself a little under the server's limit: at exactly L, network jitter puts
# L+1 requests in some one-second window and each 429 costs a whole second of pause.
RATE_FACTOR = 0.97
FIRST_CHAT = 10_000_000


class CountingFakeAPI(FakeTelegramAPI):
    """The fake server, keeping only a per-chat count and the time of each delivery."""

    def __init__(self) -> None:
        super().__init__()
        self.record_calls = False
        self.per_chat: Counter[int] = Counter()
        self.first_at: float | None = None
        self.last_at = 0.0
        self.delivered = 0
        self.on_target: tuple[int, asyncio.Event] | None = None

    def _record(self, method: str, params: dict[str, Any], message_id: int) -> Sent:
        now = time.monotonic()
        self.first_at = self.first_at or now
        self.last_at = now
        self.per_chat[int(params["chat_id"])] += 1
        self.delivered += 1
        if self.on_target is not None and self.delivered >= self.on_target[0]:
            self.on_target[1].set()
        return None  # type: ignore[return-value]  # the bench never reads it


# ---- the sender process ---------------------------------------------------------------------
async def sender_main(db: str, api: str, rate: float, worker: str,
                      wait_for_go: bool = False) -> None:
    engine = make_engine(db)
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api)))
    try:
        sender = TelegramSender(
            bot, make_sessionmaker(engine), worker_id=worker, rate_per_second=rate,
            lease_seconds=LEASE_SECONDS, drain_horizon_seconds=LEASE_SECONDS + 1,
        )
        # Start-up objects (aiogram's and SQLAlchemy's) never die; freezing them keeps the full
        # GC passes short (otherwise ~0.1 s stalls that cost ~100 messages each at L=1000).
        # The bot's own entry point benefits from the same call.
        gc.collect()
        gc.freeze()
        if wait_for_go:
            # Several senders start together: connect first, say so, then wait for "go".
            async with engine.connect():
                pass
            print("ready", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        await sender.drain()
    finally:
        await bot.session.close()
        await engine.dispose()


# ---- the parent -----------------------------------------------------------------------------
async def seed(db: str, subscribers: int) -> None:
    engine = make_engine(db)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    now = utcnow()
    async with engine.begin() as conn:
        for start in range(0, subscribers, 10_000):
            ids = range(start + 1, min(start + 10_000, subscribers) + 1)
            await conn.execute(insert(Resident), [
                {"id": i, "language": "uk" if i % 3 else "en", "consent_at": now,
                 "is_active": True, "notifications_enabled": True, "created_at": now,
                 "updated_at": now} for i in ids])
            await conn.execute(insert(ChannelIdentity), [
                {"resident_id": i, "channel": "telegram", "external_id": str(FIRST_CHAT + i),
                 "chat_id": str(FIRST_CHAT + i), "is_blocked": False, "created_at": now}
                for i in ids])
            await conn.execute(insert(Subscription), [
                {"resident_id": i, "topic": Topic.CITY_NEWS.value, "created_at": now}
                for i in ids])
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        b = await broadcasts.create_broadcast(
            session, actor="bench", author_chat_id=None, author_language="uk",
            text="Планове відключення води завтра з 9:00 до 15:00.", photo=None,
            audience=broadcasts.Audience(Topic.CITY_NEWS), author_channel=Channel.TELEGRAM,
        )
        await session.commit()
        await broadcasts.start(session, b.id)
    await engine.dispose()


def spawn_sender(db: str, api: str, rate: float, worker: str) -> asyncio.subprocess.Process:
    return asyncio.create_subprocess_exec(  # type: ignore[return-value]
        sys.executable, "-m", "bench.broadcast", "--sender", "--db", db, "--api", api,
        "--rate", str(rate), "--worker", worker, cwd=str(ROOT),
    )


async def one_run(subscribers: int, limit: int, *, kill: bool, workdir: Path) -> None:
    db = f"sqlite+aiosqlite:///{workdir / f'bench_{limit}_{int(kill)}.db'}"
    started = time.monotonic()
    await seed(db, subscribers)
    seeded = time.monotonic() - started
    gc.collect()
    gc.freeze()  # the fake server's stalls would bunch requests into one of its windows
    fake = CountingFakeAPI()
    fake.rate_limit = limit
    await fake.start()
    killed_at = 0
    try:
        t0 = time.monotonic()
        proc = await spawn_sender(db, fake.url, limit * RATE_FACTOR, "sender-1")
        if kill:
            target = int(subscribers * random.uniform(0.2, 0.8))
            reached = asyncio.Event()
            fake.on_target = (target, reached)
            await asyncio.wait({asyncio.ensure_future(reached.wait()),
                                asyncio.ensure_future(proc.wait())},
                               return_when=asyncio.FIRST_COMPLETED)
            killed_at = fake.delivered
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            proc = await spawn_sender(db, fake.url, limit * RATE_FACTOR, "sender-2")
        await proc.wait()
        elapsed = time.monotonic() - t0
    finally:
        await fake.stop()
    delivered = sum(fake.per_chat.values())
    expected = set(range(FIRST_CHAT + 1, FIRST_CHAT + subscribers + 1))
    lost = len(expected - set(fake.per_chat))
    duplicated = sum(n - 1 for n in fake.per_chat.values() if n > 1)
    span = (fake.last_at - (fake.first_at or fake.last_at)) or 1e-9
    rate = (delivered - 1) / span if delivered > 1 else 0.0
    label = f"{subscribers:>7,} subscribers, L={limit:>4}" + (
        f", SIGKILL after {killed_at:,} + restart" if kill else "")
    verdict = "ok" if rate / limit >= 0.95 else "BELOW 0.95"
    if kill:
        verdict = f"includes the restart and the {LEASE_SECONDS:.0f} s lease wait"
    print(
        f"{label}: achieved {rate:7.1f}/s = {rate / limit:.3f} of L "
        f"({verdict}), 429s: {fake.count_429}, "
        f"lost: {lost}, duplicated: {duplicated}, delivered: {delivered:,}, "
        f"wall {elapsed:.1f}s (seed+enqueue {seeded:.1f}s)",
        flush=True,
    )


async def parent_main(quick: bool) -> None:
    scale = 10 if quick else 1
    with tempfile.TemporaryDirectory(prefix="hromada-bench-") as tmp:
        workdir = Path(tmp)
        await one_run(100_000 // scale, 1000, kill=False, workdir=workdir)
        await one_run(3_000 // scale, 30, kill=False, workdir=workdir)
        await one_run(100_000 // scale, 1000, kill=True, workdir=workdir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10x fewer subscribers")
    parser.add_argument("--sender", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db")
    parser.add_argument("--api")
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--worker", default=f"bench-{os.getpid()}")
    parser.add_argument("--wait-for-go", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sender:
        asyncio.run(sender_main(args.db, args.api, args.rate, args.worker, args.wait_for_go))
    else:
        asyncio.run(parent_main(args.quick))


if __name__ == "__main__":
    main()
