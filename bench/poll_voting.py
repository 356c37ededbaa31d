"""Poll answering and results delivery: the real bot (polling, SQLite) against the fake Bot API.

    python -m bench.poll_voting            # 10,000 residents
    python -m bench.poll_voting --quick    # 1,000 residents

Baseline: the petition-signing burst of bench/petition_signing.py (the same bot, machinery
and number of residents), measured first in the same run.

Part 1: N distinct verified residents (bulk-seeded) each press an option of one open poll
(single choice, three options, resident i answers option i mod 3) as fast as the bot takes
updates (at most --window presses unanswered at a time). Prints answers/second and its ratio
to the signing rate (target >= 1.0), p50/p99 latency, and checks the stored counts exactly.

Part 2: the poll closes; the scheduler's jobs (run here, as a scheduler process would) tally it,
draw the chart once and queue the results to all N, and the bot's own outbox sender delivers
them. Prints the time to render and queue, the time until the last photo arrived, how many
charts were drawn and uploaded (1 each), and that every resident got the results once.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, update

import services.models  # noqa: F401  (registers every table)
from bench.common import (
    FIRST_USER,
    BenchDB,
    TimingFakeAPI,
    bench_db,
    burst,
    seed_residents,
    start_bot,
    stop_bot,
    wait_polling,
)
from bench.petition_signing import SigningRun, report_signing, report_tap_cost, run_signing
from handlers.polls.callbacks import CardAction, PollCB
from services.db import make_engine, make_sessionmaker
from services.polls.jobs import close_due, send_results
from services.polls.models import Poll, PollAnswer, PollChart, PollChoice, PollOption

OPTIONS = ("Так", "Ні", "Не знаю")
RESULTS_MARK = "Результати опитування"


def seed_poll(db: BenchDB) -> tuple[int, list[int]]:
    """One open single-choice poll for the whole city; its id and option ids."""
    engine = create_engine(db.sync_url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        poll_id = int(conn.execute(insert(Poll).values(
            question="Чи облаштувати велодоріжку на проспекті Миру?", description=None,
            multiple=False, max_choices=1, districts=[], opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(days=7), results_while_open=False, announce=False,
            status="published", version=1, answer_count=0, created_by="telegram:900",
            created_at=now, updated_at=now, published_at=now,
        )).inserted_primary_key[0])  # type: ignore[index]
        option_ids = [int(conn.execute(insert(PollOption).values(
            poll_id=poll_id, position=k, text=text)).inserted_primary_key[0])  # type: ignore[index]
            for k, text in enumerate(OPTIONS)]
    engine.dispose()
    return poll_id, option_ids


async def part_voting(workdir: Path, voters: int, window: int, signing: SigningRun,
                      postgres: str | None = None) -> bool:
    baseline = signing.burst
    db = bench_db(workdir, "voting", postgres)
    seed_residents(db, voters)
    poll_id, option_ids = seed_poll(db)
    fake = TimingFakeAPI(mark=RESULTS_MARK)
    await fake.start()
    proc = start_bot(fake, db)
    ok = True
    try:
        await wait_polling(fake, proc)
        presses = [(FIRST_USER + i, PollCB(action=CardAction.ANSWER, poll_id=poll_id, version=1,
                                           mask=1 << (i % 3)).pack())
                   for i in range(1, voters + 1)]
        result = await burst(fake, proc, presses, window, "v")
        latencies = list(fake.latencies)

        engine = make_engine(db.url)
        maker = make_sessionmaker(engine)
        async with maker() as session:
            counter = (await session.get(Poll, poll_id)).answer_count  # type: ignore[union-attr]
            rows = await session.scalar(select(func.count()).select_from(PollAnswer))
            per_option = dict((await session.execute(
                select(PollChoice.option_id, func.count()).group_by(PollChoice.option_id)
            )).tuples().all())
        # Resident i chose option i mod 3 (i = 1..N).
        expected = {option_ids[0]: voters // 3, option_ids[1]: (voters + 2) // 3,
                    option_ids[2]: (voters + 1) // 3}
        print(f"voting: {voters} residents, window {window} presses in flight, "
              f"{len(OPTIONS)} options, single choice")
        print(f"answers/second: {result.rate:.1f}  ({result.elapsed:.1f} s; CPU: bot process "
              f"{result.cpu_bot:.1f} s, fake API + driver {result.cpu_fake:.1f} s)")
        ratio = result.rate / baseline.rate
        ok &= ratio >= 1.0
        print(f"ratio to petition signing in this run: {ratio:.2f}x  (signing "
              f"{baseline.rate:.1f}/s; target >= 1.0x) {'OK' if ratio >= 1.0 else 'BELOW TARGET'}")
        # The bot's CPU per press does not depend on what else the machine runs meanwhile.
        per_answer = result.cpu_bot / voters * 1000
        per_signature = baseline.cpu_bot / baseline.presses * 1000
        print(f"bot CPU per answer {per_answer:.2f} ms, per signature {per_signature:.2f} ms "
              f"({per_signature / per_answer:.2f}x)")
        report_tap_cost("answer", voters, result.cpu_bot, latencies, signing.echo,
                        signing.sqlite)
        counts_ok = counter == voters and rows == voters and per_option == expected
        ok &= counts_ok
        shown = ", ".join(f"{OPTIONS[k]} {per_option.get(option_ids[k], 0)}" for k in range(3))
        print(f"final counts: counter {counter}, answers {rows}, per option {shown}; expected "
              f"{voters} ({', '.join(str(expected[o]) for o in option_ids)}) "
              f"{'OK' if counts_ok else 'MISMATCH'}")

        # ---- part 2: closing, the chart and the results to everyone ----
        started = time.perf_counter()
        async with maker() as session:
            await session.execute(update(Poll).where(Poll.id == poll_id)
                                  .values(closes_at=datetime.now(UTC) - timedelta(seconds=1)))
            now = datetime.now(UTC)
            await close_due(session, now)
            await send_results(session, now)
            await session.commit()
        queued = time.perf_counter() - started
        deadline = time.perf_counter() + 120
        while sum(fake.photos_per_chat.values()) < voters and time.perf_counter() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"bot exited with {proc.returncode}")
            await asyncio.sleep(0.05)
        delivered = fake.last_photo_at - started if fake.last_photo_at else float("nan")
        await asyncio.sleep(2.0)  # any duplicate would arrive by now
        async with maker() as session:
            charts = await session.scalar(select(func.count()).select_from(PollChart))
        await engine.dispose()
    finally:
        stop_bot(proc)
        await fake.stop()

    got = fake.photos_per_chat
    everyone = {FIRST_USER + i for i in range(1, voters + 1)}
    once = set(got) == everyone and all(n == 1 for n in got.values())
    captioned = sum(fake.marked_per_chat.values())
    single = charts == 1 and fake.photo_uploads == 1
    ok &= once and single and captioned == voters
    print(f"results: tally + chart + queueing {voters} in {queued:.2f} s; last photo "
          f"delivered {delivered:.1f} s after closing ({voters / delivered:.0f}/s through "
          f"the bot's outbox sender)")
    print(f"chart: drawn {charts}x, uploaded {fake.photo_uploads}x, then sent by file id "
          f"{sum(got.values()) - fake.photo_uploads}x {'OK' if single else 'WRONG'}")
    print(f"results message: {sum(got.values())} photos to {len(got)} chats ({captioned} "
          f"captioned with the results), expected {voters} once each, duplicates "
          f"{sum(1 for n in got.values() if n > 1)}, missing {len(everyone - set(got))} "
          f"{'OK' if once and captioned == voters else 'WRONG'}")
    return ok


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10x smaller numbers")
    parser.add_argument("--window", type=int, default=100, help="presses in flight at most")
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL: a server URL "
                        "(postgresql+asyncpg://...), where fresh hromada_bench_* databases go")
    args = parser.parse_args()
    residents, threshold = (1_000, 50) if args.quick else (10_000, 250)
    with tempfile.TemporaryDirectory() as tmp:
        signing = await run_signing(Path(tmp), residents, threshold, args.window, args.postgres)
        ok = report_signing(signing)
        ok &= await part_voting(Path(tmp), residents, args.window, signing, args.postgres)
    print("RESULT:", "OK" if ok else "PROBLEMS (see above)")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    asyncio.run(main())
