"""What the press benchmarks share: the timing fake Bot API, bulk-seeded residents, the bot
as its own process (`python -m bot run`), and a burst of button presses with a window.

Used by bench/petition_signing.py and bench/poll_voting.py, so both measure the same way.
"""

from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Connection, Integer, create_engine, insert, make_url, text  # noqa: E402

import services.models  # noqa: E402,F401  (registers every table)
from services.db import Base  # noqa: E402
from services.models import ChannelIdentity, Resident, StaffRole  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI, Sent  # noqa: E402

TOKEN = "123456:" + "P" * 35
FIRST_USER = 10_000_000
MODERATOR = 900


class TimingFakeAPI(FakeTelegramAPI):
    """The fake server, timing each press from queueing to the bot's callback answer, and
    counting (not storing) what is sent: texts containing `mark` per chat, photos per chat,
    and how many photos were uploads rather than file ids."""

    def __init__(self, mark: str = "") -> None:
        super().__init__()
        self.record_calls = False
        self.mark = mark
        self.pushed_at: dict[str, float] = {}
        self.latencies: list[float] = []
        self.answered = 0
        self.answered_event = asyncio.Event()
        self.marked_per_chat: Counter[int] = Counter()
        self.photos_per_chat: Counter[int] = Counter()
        self.photo_uploads = 0
        self.last_photo_at = 0.0
        self.sends = 0

    async def push_press(self, callback_id: str, update: dict[str, Any]) -> None:
        self.pushed_at[callback_id] = time.perf_counter()
        await self.push_update(update)

    def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        started = self.pushed_at.pop(str(params.get("callback_query_id")), None)
        if started is not None:
            self.latencies.append(time.perf_counter() - started)
        self.answered += 1
        self.answered_event.set()
        return True

    def _record(self, method: str, params: dict[str, Any], message_id: int) -> Sent:
        # Keep memory flat: count, do not store, every message.
        self.sends += 1
        chat_id = int(params["chat_id"])
        text_ = str(params.get("text") or params.get("caption") or "")
        if self.mark and self.mark in text_:
            self.marked_per_chat[chat_id] += 1
        if method == "sendPhoto":
            self.photos_per_chat[chat_id] += 1
            photo = params.get("photo")
            if isinstance(photo, dict) or str(photo).startswith("attach://"):
                self.photo_uploads += 1
            self.last_photo_at = time.perf_counter()
        return Sent(method, chat_id, message_id, None, None, {})

    def _edit(self, method: str, params: dict[str, Any]) -> dict[str, Any] | bool:
        return True


def press_update(user_id: int, data: str, callback_id: str) -> dict[str, Any]:
    return {"callback_query": {
        "id": callback_id, "chat_instance": str(user_id), "data": data,
        "from": {"id": user_id, "is_bot": False, "first_name": "R", "language_code": "uk"},
        "message": {"message_id": 1, "date": int(time.time()),
                    "chat": {"id": user_id, "type": "private"}, "text": "card"},
    }}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


@dataclass(frozen=True, slots=True)
class BenchDB:
    """A run's database: a SQLite file in the work directory, or with `--postgres URL` a
    database of its own on that server (dropped and made again for each run)."""

    url: str  # the bot's (async) URL
    name: str

    @property
    def sync_url(self) -> str:
        """For seeding and checking in bulk, synchronously."""
        return self.url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")


def bench_db(workdir: Path, name: str, postgres: str | None = None) -> BenchDB:
    if postgres is None:
        return BenchDB(f"sqlite+aiosqlite:///{workdir / (name + '.db')}", name)
    server = make_url(postgres)
    database = f"hromada_bench_{name}"
    admin = create_engine(server.set(drivername="postgresql+psycopg"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return BenchDB(server.set(database=database).render_as_string(hide_password=False), name)


def align_sequences(conn: Connection) -> None:
    """After rows inserted with their ids, PostgreSQL's id sequences continue past them."""
    if conn.dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        key = list(table.primary_key.columns)
        if len(key) == 1 and isinstance(key[0].type, Integer):
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key[0].name}'), "
                f"coalesce((SELECT max({key[0].name}) FROM {table.name}), 0) + 1, false)"))


def seed_residents(db: BenchDB, count: int) -> None:
    """`count` verified residents with complete profiles, plus a moderator, in bulk: as
    onboarding on Telegram leaves them (their messenger known, so a tap writes nothing else)."""
    engine = create_engine(db.sync_url)
    Base.metadata.create_all(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for start in range(0, count, 20_000):
            ids = range(start + 1, min(count, start + 20_000) + 1)
            conn.execute(insert(Resident), [
                {"id": i, "language": "uk", "consent_at": now, "phone": f"+38067{i:07d}",
                 "phone_verified_at": now, "full_name": f"Мешканець Номер{i}",
                 "street": "вул. Миру", "building": str(i % 200 + 1),
                 "notifications_enabled": True, "is_active": True, "created_at": now,
                 "updated_at": now, "last_channel": "telegram"}
                for i in ids
            ])
            conn.execute(insert(ChannelIdentity), [
                {"resident_id": i, "channel": "telegram", "external_id": str(FIRST_USER + i),
                 "chat_id": str(FIRST_USER + i), "is_blocked": False, "created_at": now}
                for i in ids
            ])
        conn.execute(insert(StaffRole).values(
            channel="telegram", external_id=str(MODERATOR), role="moderator",
            granted_by="bench", granted_at=now))
        align_sequences(conn)
    engine.dispose()


def start_bot(fake: FakeTelegramAPI, db: BenchDB, *, echo: bool = False) -> subprocess.Popen:
    env = {**os.environ, "BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": fake.url,
           "DATABASE_URL": db.url, "LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT), "SCHEDULER_ENABLED": "false",
           "DELIVERY_ENABLED": "true", "DELIVERY_RATE_PER_SECOND": "1000",
           "DELIVERY_PER_CHAT_INTERVAL": "0", "BOT_USERNAME": "hromada_bench_bot"}
    env.pop("REDIS_URL", None)
    cmd = [sys.executable, "-m", "bench.echo_bot"] if echo else [sys.executable, "-m", "bot", "run"]
    if not echo and os.environ.get("BENCH_PROFILE"):  # e.g. BENCH_PROFILE=/tmp/bot.prof
        cmd[1:2] = ["-m", "cProfile", "-o", f"{os.environ['BENCH_PROFILE']}.{db.name}", "-m"]
    return subprocess.Popen(cmd, env=env, cwd=ROOT)


async def wait_polling(fake: FakeTelegramAPI, proc: subprocess.Popen) -> None:
    while fake.last_offset is None:
        if proc.poll() is not None:
            raise RuntimeError(f"bot exited with {proc.returncode}")
        await asyncio.sleep(0.05)


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of a process (this one when `pid` is None)."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """The peak resident memory of a process (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def stop_bot(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def failed_updates(log_path: Path) -> int:
    """Updates the bot logged as failed (a failed update still gets an apology, which would
    count as an answer)."""
    return sum(" failed" in line for line in log_path.read_text().splitlines())


@dataclass(frozen=True, slots=True)
class Burst:
    """How a burst of presses went: wall time and CPU of the bot and of this process."""

    presses: int
    elapsed: float
    cpu_bot: float
    cpu_fake: float

    @property
    def rate(self) -> float:
        return self.presses / self.elapsed


async def burst(fake: TimingFakeAPI, proc: subprocess.Popen,
                presses: Sequence[tuple[int, str]], window: int, tag: str = "s") -> Burst:
    """Press (user id, callback data) as fast as the bot answers, at most `window` presses
    unanswered at a time; returns when every press is answered."""
    total = len(presses)
    base = fake.answered
    started = time.perf_counter()
    cpu_bot, cpu_fake = cpu_seconds(proc.pid), cpu_seconds()
    for i, (user, data) in enumerate(presses, start=1):
        while fake.answered - base < i - window:
            fake.answered_event.clear()
            await fake.answered_event.wait()
        await fake.push_press(f"{tag}{i}", press_update(user, data, f"{tag}{i}"))
    while fake.answered - base < total:
        if proc.poll() is not None:
            raise RuntimeError(f"bot exited with {proc.returncode}")
        fake.answered_event.clear()
        try:
            await asyncio.wait_for(fake.answered_event.wait(), 30)
        except TimeoutError:
            raise RuntimeError("the bot stopped answering") from None
    elapsed = time.perf_counter() - started
    return Burst(total, elapsed, cpu_seconds(proc.pid) - cpu_bot, cpu_seconds() - cpu_fake)


@dataclass(frozen=True, slots=True)
class EchoBaseline:
    """The bare aiogram echo bot answering a burst of the same size: the per-press cost of
    the polling loop and a callback answer, which the issue's targets are ratios of."""

    burst: Burst
    latencies: list[float]

    @property
    def cpu_ms(self) -> float:
        return self.burst.cpu_bot / self.burst.presses * 1000


async def echo_baseline(db: BenchDB, presses: int, window: int) -> EchoBaseline:
    """Press `presses` times (distinct residents) on the echo bot, `window` in flight."""
    fake = TimingFakeAPI()
    await fake.start()
    proc = start_bot(fake, db, echo=True)
    try:
        await wait_polling(fake, proc)
        await burst(fake, proc, [(FIRST_USER + i, "warm") for i in range(1, 31)], window, "w")
        fake.latencies.clear()
        result = await burst(fake, proc, [(FIRST_USER + i, "x") for i in range(1, presses + 1)],
                             window, "e")
    finally:
        stop_bot(proc)
        await fake.stop()
    return EchoBaseline(result, list(fake.latencies))


CPU_TARGET = 3.0  # bot CPU per tap ≤ 3 × the echo bot's per press
P99_TARGET_MS = 500.0  # with `window` presses in flight, on SQLite
