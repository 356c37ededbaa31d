"""E-petition signing and rendering: the real bot (polling, SQLite) against the fake Bot API.

    python -m bench.petition_signing            # 10,000 signers; 1,000,000 signatures / 2,000
    python -m bench.petition_signing --quick    # 1,000 signers; 100,000 signatures / 200

Part 1: N distinct verified residents (bulk-seeded) each press "Sign" on one petition, as fast
as the bot takes updates (at most --window presses unanswered at a time). The bot runs as its
own process (`python -m bot run`, with its outbox sender), the fake API here measures each
press from queueing to the bot's answer. Prints signatures/second, p50/p99 latency, checks the
stored count is exactly N and that the threshold message reached each recipient exactly once.

Part 2: with 1,000,000 signatures across 2,000 petitions in the database, the petition lists
and cards are opened one at a time; prints p50/p95 of the whole round trip through the bot and
of the service + rendering alone (target p95 <= 20 ms). A bare aiogram echo bot answering the
same presses gives the baseline round trip of the polling loop itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

import services.models  # noqa: E402,F401  (registers every table)
from handlers.petitions.callbacks import PetCB, PetListCB  # noqa: E402
from handlers.petitions.screens import render_card  # noqa: E402
from services import petitions  # noqa: E402
from services.db import Base, make_engine, make_sessionmaker  # noqa: E402
from services.i18n import get_translator  # noqa: E402
from services.models import (  # noqa: E402
    ChannelIdentity,
    Petition,
    PetitionStatus,
    Resident,
    Signature,
    StaffRole,
)
from services.petitions import ListKind  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI, Sent  # noqa: E402

TOKEN = "123456:" + "P" * 35
FIRST_USER = 10_000_000
MODERATOR = 900
THRESHOLD_MARK = "набрала"  # in both the residents' and the moderators' threshold texts


class TimingFakeAPI(FakeTelegramAPI):
    """The fake server, timing each press from queueing to the bot's callback answer."""

    def __init__(self) -> None:
        super().__init__()
        self.record_calls = False
        self.pushed_at: dict[str, float] = {}
        self.latencies: list[float] = []
        self.answered = 0
        self.answered_event = asyncio.Event()
        self.threshold_per_chat: Counter[int] = Counter()
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
        text_ = str(params.get("text") or "")
        if THRESHOLD_MARK in text_:
            self.threshold_per_chat[int(params["chat_id"])] += 1
        return Sent(method, int(params["chat_id"]), message_id, None, None, {})

    def _edit(self, method: str, params: dict[str, Any]) -> dict[str, Any] | bool:
        return True


def _press(user_id: int, data: str, callback_id: str) -> dict[str, Any]:
    return {"callback_query": {
        "id": callback_id, "chat_instance": str(user_id), "data": data,
        "from": {"id": user_id, "is_bot": False, "first_name": "R", "language_code": "uk"},
        "message": {"message_id": 1, "date": int(time.time()),
                    "chat": {"id": user_id, "type": "private"}, "text": "card"},
    }}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


# ---- seeding ------------------------------------------------------------------------------


def seed_residents(db_path: Path, count: int) -> None:
    """`count` verified residents with complete profiles, plus a moderator, in bulk."""
    engine = create_engine(f"sqlite:///{db_path}")
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
                 "updated_at": now}
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
    engine.dispose()


def seed_petition(db_path: Path, threshold: int, number: int = 1) -> int:
    engine = create_engine(f"sqlite:///{db_path}")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        title = "Зробити велодоріжку на проспекті Миру"
        body = "Просимо міську раду облаштувати безпечну велодоріжку вздовж проспекту Миру."
        result = conn.execute(insert(Petition).values(
            number=number, title=title, text=body, search_text=f"{title}\n{body}".casefold(),
            author_id=1, status=PetitionStatus.COLLECTING.value, created_at=now,
            published_at=now, deadline=now + timedelta(days=90), threshold=threshold,
            signature_count=0))
        petition_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    engine.dispose()
    return petition_id


def seed_many(db_path: Path, petitions_count: int, signatures: int, residents: int) -> int:
    """`petitions_count` published petitions holding exactly `signatures` signatures."""
    per = signatures // petitions_count
    assert per * petitions_count == signatures and per + 2 * (per * 2 // 5) < residents
    engine = create_engine(f"sqlite:///{db_path}")
    now = datetime.now(UTC)
    rnd = random.Random(7)
    words = ["дорога", "парк", "школа", "ліхтарі", "сквер", "тротуар", "зупинка", "ринок",
             "басейн", "бібліотека", "велодоріжка", "дитячий майданчик"]
    statuses = ([PetitionStatus.COLLECTING] * 16 + [PetitionStatus.AWAITING_ANSWER] * 2
                + [PetitionStatus.ANSWERED, PetitionStatus.NOT_ENOUGH_SIGNATURES])
    with engine.begin() as conn:
        first_number = int(conn.execute(text("SELECT coalesce(max(number), 0) FROM petitions"))
                           .scalar_one()) + 1
        first_id = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM petitions"))
                       .scalar_one()) + 1
        rows = []
        counts = []
        for k in range(petitions_count):
            # 5 sizes around the mean: per-2d, per-d, per, per+d, per+2d (d = 40% of per / 2).
            delta = (k % 5 - 2) * (per // 5)
            n = per + delta
            counts.append(n)
            status = statuses[k % len(statuses)]
            published = now - timedelta(days=rnd.randint(0, 80), minutes=k)
            title = f"Петиція {k}: {rnd.choice(words)} і {rnd.choice(words)} у районі {k % 17}"
            body = "Просимо міську раду розглянути питання: " + " ".join(
                rnd.choice(words) for _ in range(40))
            rows.append({
                "id": first_id + k, "number": first_number + k, "title": title, "text": body,
                "search_text": f"{title}\n{body}".casefold(), "author_id": 1 + k % residents,
                "status": status.value, "created_at": published, "published_at": published,
                "deadline": published + timedelta(days=90), "threshold": 250,
                "signature_count": n,
                "reached_at": published + timedelta(days=3)
                if status != PetitionStatus.COLLECTING else None,
            })
        conn.execute(insert(Petition), rows)
        batch: list[dict[str, Any]] = []
        for k, n in enumerate(counts):
            pid = first_id + k
            base = (k * 37) % residents
            for j in range(n):
                batch.append({"petition_id": pid, "resident_id": 1 + (base + j) % residents,
                              "channel": "telegram", "created_at": now})
            if len(batch) >= 50_000:
                conn.execute(insert(Signature), batch)
                batch = []
        if batch:
            conn.execute(insert(Signature), batch)
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return first_id


# ---- the bot process ----------------------------------------------------------------------


def start_bot(fake: FakeTelegramAPI, db_path: Path, *, echo: bool = False) -> subprocess.Popen:
    env = {**os.environ, "BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": fake.url,
           "DATABASE_URL": f"sqlite+aiosqlite:///{db_path}", "LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT), "SCHEDULER_ENABLED": "false",
           "DELIVERY_ENABLED": "true", "DELIVERY_RATE_PER_SECOND": "1000",
           "DELIVERY_PER_CHAT_INTERVAL": "0", "BOT_USERNAME": "hromada_bench_bot"}
    env.pop("REDIS_URL", None)
    cmd = [sys.executable, "-m", "bench.echo_bot"] if echo else [sys.executable, "-m", "bot", "run"]
    if not echo and os.environ.get("BENCH_PROFILE"):  # e.g. BENCH_PROFILE=/tmp/bot.prof
        cmd[1:2] = ["-m", "cProfile", "-o", f"{os.environ['BENCH_PROFILE']}.{db_path.stem}", "-m"]
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


def stop_bot(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


# ---- part 1: signing ----------------------------------------------------------------------


async def part_signing(workdir: Path, signers: int, threshold: int, window: int) -> bool:
    db_path = workdir / "signing.db"
    seed_residents(db_path, signers)
    petition_id = seed_petition(db_path, threshold)
    fake = TimingFakeAPI()
    await fake.start()
    proc = start_bot(fake, db_path)
    ok = True
    try:
        await wait_polling(fake, proc)
        data = PetCB(action="sign", id=petition_id).pack()
        started = time.perf_counter()
        cpu_bot, cpu_fake = cpu_seconds(proc.pid), cpu_seconds()
        for i in range(1, signers + 1):
            while fake.answered < i - window:
                fake.answered_event.clear()
                await fake.answered_event.wait()
            user = FIRST_USER + i
            await fake.push_press(f"s{i}", _press(user, data, f"s{i}"))
        while fake.answered < signers:
            if proc.poll() is not None:
                raise RuntimeError(f"bot exited with {proc.returncode}")
            fake.answered_event.clear()
            try:
                await asyncio.wait_for(fake.answered_event.wait(), 30)
            except TimeoutError:
                raise RuntimeError("the bot stopped answering") from None
        elapsed = time.perf_counter() - started
        cpu_bot, cpu_fake = cpu_seconds(proc.pid) - cpu_bot, cpu_seconds() - cpu_fake
        # The threshold messages go through the bot's own outbox sender.
        deadline = time.perf_counter() + 60
        while (sum(fake.threshold_per_chat.values()) < threshold + 2  # noqa: ASYNC110
               and time.perf_counter() < deadline):
            await asyncio.sleep(0.1)
        await asyncio.sleep(2.0)  # any duplicate would arrive by now
    finally:
        stop_bot(proc)
        await fake.stop()

    engine = make_engine(f"sqlite+aiosqlite:///{db_path}")
    async with make_sessionmaker(engine)() as session:
        row = await session.get(Petition, petition_id)
        stored = await session.scalar(
            select(func.count()).select_from(Signature).where(Signature.petition_id == petition_id))
        # Who had signed when the threshold was crossed: the first `threshold` signatures
        # (SQLite commits one writer at a time, so ids follow commit order).
        early = list(await session.scalars(
            select(ChannelIdentity.chat_id)
            .join(Signature, Signature.resident_id == ChannelIdentity.resident_id)
            .where(Signature.petition_id == petition_id)
            .order_by(Signature.id).limit(threshold)))
    await engine.dispose()
    assert row is not None
    expected = {int(c) for c in early} | {FIRST_USER + 1, MODERATOR}
    print(f"signing: {signers} residents, window {window} presses in flight, threshold "
          f"{threshold}")
    print(f"signatures/second: {signers / elapsed:.1f}  ({elapsed:.1f} s; CPU: bot process "
          f"{cpu_bot:.1f} s, fake API + driver {cpu_fake:.1f} s)")
    print(f"press→answer latency: p50 {_pct(fake.latencies, 0.50):.1f} ms  "
          f"p99 {_pct(fake.latencies, 0.99):.1f} ms")
    count_ok = row.signature_count == signers and stored == signers
    ok &= count_ok
    print(f"final count: counter {row.signature_count}, rows {stored}, expected {signers} "
          f"{'OK' if count_ok else 'MISMATCH'}  (status {row.status})")
    got = fake.threshold_per_chat
    once = all(got[c] == 1 for c in expected) and set(got) == expected
    ok &= once
    dupes = sum(1 for c in got if got[c] > 1)
    print(f"threshold message: {sum(got.values())} sent to {len(got)} chats, expected "
          f"{len(expected)} recipients once each, duplicates {dupes}, missing "
          f"{len(expected - set(got))} {'OK' if once else 'WRONG'}")
    return ok


# ---- part 2: rendering with a big database -----------------------------------------------


async def part_render(workdir: Path, residents: int, petitions_count: int, signatures: int,
                      samples: int) -> bool:
    db_path = workdir / "render.db"
    t0 = time.perf_counter()
    seed_residents(db_path, residents)
    first_id = seed_many(db_path, petitions_count, signatures, residents)
    print(f"render: seeded {petitions_count} petitions, {signatures} signatures, "
          f"{residents} residents in {time.perf_counter() - t0:.1f} s")
    rnd = random.Random(11)
    # A different resident per request (each signed ~signatures/residents petitions).
    viewers = [1 + rnd.randrange(residents) for _ in range(samples)]

    def request(k: int) -> tuple[str, str]:
        what = k % 8
        if what < 3:
            kind = [ListKind.NEWEST, ListKind.MOST_SIGNED, ListKind.ENDING_SOON][what]
            return "list", PetListCB(kind=kind.value, page=rnd.randint(0, 50)).pack()
        if what == 3:
            return "list", PetListCB(kind=rnd.choice([ListKind.SIGNED, ListKind.CONSIDERED,
                                                      ListKind.MINE]).value,
                                     page=rnd.randint(0, 3)).pack()
        return "card", PetCB(action="open", id=first_id + rnd.randrange(petitions_count)).pack()

    plan = [request(k) for k in range(samples)]

    # In-process: the service queries plus the text, as the handler builds it.
    engine = make_engine(f"sqlite+aiosqlite:///{db_path}")
    maker = make_sessionmaker(engine)
    tr = get_translator().for_language("uk")
    service_times: dict[str, list[float]] = {"list": [], "card": []}
    for (what, data), viewer in zip(plan, viewers, strict=True):
        started = time.perf_counter()
        async with maker() as session:
            if what == "list":
                cb = PetListCB.unpack(data)
                page = await petitions.list_petitions(session, ListKind(cb.kind), page=cb.page,
                                                      viewer_id=viewer)
                _ = [render_card_line(tr, p) for p in page.items]
            else:
                view = await petitions.card(session, PetCB.unpack(data).id, viewer)
                _ = render_card(tr, view)
        service_times[what].append(time.perf_counter() - started)
    await engine.dispose()

    async def round_trips(echo: bool) -> dict[str, list[float]]:
        fake = TimingFakeAPI()
        await fake.start()
        proc = start_bot(fake, db_path, echo=echo)
        times: dict[str, list[float]] = {"list": [], "card": []}
        try:
            await wait_polling(fake, proc)
            for i, ((what, data), viewer) in enumerate(zip(plan, viewers, strict=True)):
                before = fake.answered
                await fake.push_press(f"r{i}", _press(FIRST_USER + viewer, data, f"r{i}"))
                while fake.answered == before:
                    fake.answered_event.clear()
                    await asyncio.wait_for(fake.answered_event.wait(), 30)
                times[what].append(fake.latencies[-1])
        finally:
            stop_bot(proc)
            await fake.stop()
        return times

    echo_times = await round_trips(echo=True)
    bot_times = await round_trips(echo=False)
    ok = True
    for what in ("list", "card"):
        p95_service = _pct(service_times[what], 0.95)
        p95_bot = _pct(bot_times[what], 0.95)
        p95_echo = _pct(echo_times[what], 0.95)
        good = p95_service <= 20
        ok &= good
        print(f"{what} render ({len(service_times[what])} samples): service+render p50 "
              f"{_pct(service_times[what], 0.5):.1f} ms p95 {p95_service:.1f} ms "
              f"(target <= 20) {'OK' if good else 'ABOVE TARGET'}")
        print(f"{what} round trip through the bot: p50 {_pct(bot_times[what], 0.5):.1f} ms "
              f"p95 {p95_bot:.1f} ms; echo-bot baseline p50 "
              f"{_pct(echo_times[what], 0.5):.1f} ms p95 {p95_echo:.1f} ms")
    return ok


def render_card_line(tr: Any, p: Petition) -> str:
    return tr("petition.list.item", number=p.number or "—", title=p.title)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10x smaller numbers")
    parser.add_argument("--window", type=int, default=100, help="presses in flight at most")
    args = parser.parse_args()
    if args.quick:
        signers, threshold, residents, count, sigs, samples = 1_000, 50, 5_000, 200, 100_000, 200
    else:
        signers, threshold, residents, count, sigs, samples = (
            10_000, 250, 10_000, 2_000, 1_000_000, 800)
    with tempfile.TemporaryDirectory() as tmp:
        ok = await part_signing(Path(tmp), signers, threshold, args.window)
        ok &= await part_render(Path(tmp), residents, count, sigs, samples)
    print("RESULT:", "OK" if ok else "PROBLEMS (see above)")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    asyncio.run(main())
