"""Council votes: a year of a 121-seat council imported through the import service.

    python -m bench.votes_import                      # SQLite and PostgreSQL (the test server)
    python -m bench.votes_import --postgres URL       # another PostgreSQL server
    python -m bench.votes_import --quick              # 400 files instead of 4,000

Generates 4,000 per-vote JSON files in the shape of the Kyiv "Рада-4" exports (121 rows each,
about 484,000 roll-call rows, names spaced as the real ones, CRLF and LF, placeholder seats),
bundled as one ZIP per plenary day like the council publishes them, plus an Annex 30 list
with nine factions. For each backend, on a fresh database:

1. imports the deputies, then the 40 daily ZIPs (one service call and commit each) and
   prints roll-call rows per second;
2. beside it, day by day in the same run, the bare bulk insert of the very event and
   roll-call rows the import stored (read back, then Core executemany into an identical
   fresh schema, one transaction per day); target: import >= 0.5 of the bare rate;
3. publishes every session, then opens deputy cards and decision cards (service call, each
   in its own session, plus rendering: the feature's screen and its Telegram markup) and
   prints p50/p95; target p95 <= 20 ms. A bare `SELECT 1` in its own session is timed
   alongside, as the floor on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import sys
import tempfile
import time
import uuid
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402

import services.models  # noqa: E402,F401  (registers every table)
from handlers.kit.render_aiogram import markup_for  # noqa: E402
from handlers.votes import screens, screens_deputies  # noqa: E402
from handlers.votes.callbacks import NAV  # noqa: E402
from services.db import Base, make_engine, make_sessionmaker  # noqa: E402
from services.i18n import get_translator  # noqa: E402
from services.timeutil import council_zone  # noqa: E402
from services.votes import publishing, queries, stats  # noqa: E402
from services.votes.access import Actor  # noqa: E402
from services.votes.archive import UploadedFile  # noqa: E402
from services.votes.importer import import_files  # noqa: E402
from services.votes.models import CASTS_TABLE, EVENTS_TABLE, VoteCast, VoteEvent  # noqa: E402

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SEATS = 121
FACTIONS = ["Європейська Солідарність", "УДАР Віталія Кличка", "Єдність", "ВО «Батьківщина»",
            "ОП-ЗЖ", "Слуга народу", "ГОЛОС", "Позафракційний", "Київський міський голова"]
SURNAMES = ["Андрієнко", "Бондар", "Вакуленко", "Гриценко", "Ґудзь", "Дмитренко", "Єрмак",
            "Жовтяк", "Зінченко", "Іщенко", "Їжак", "Коваль", "Лисенко", "Мороз", "Назаренко",
            "Остапчук", "Петренко", "Руденко", "Савченко", "Ткаченко", "Устименко", "Фесенко",
            "Харченко", "Цюпа", "Черненко", "Шевченко", "Щербина", "Юрченко", "Яременко",
            "Арʼєва", "Бойко", "Власенко", "Гончар", "Демченко", "Ємець", "Заєць", "Ігнатенко",
            "Кравчук", "Литвин", "Мельник", "Нестеренко"]
INITIALS = "АБВГДЄЗІКЛМНОПРСТЮЯ"
VALUES = (["За       "] * 60 + ["........."] * 28 + ["Не голосував"] * 10 + ["Утримався"]
          + ["Проти    "])


def _deputies(rng: random.Random) -> list[tuple[str, str, str]]:
    """121 distinct (surname, initials, faction); the last one is the mayor."""
    people: set[tuple[str, str]] = set()
    while len(people) < SEATS:
        people.add((rng.choice(SURNAMES), rng.choice(INITIALS) + rng.choice(INITIALS)))
    ordered = sorted(people)
    return [(s, i, FACTIONS[-1] if n == SEATS - 1 else FACTIONS[n % (len(FACTIONS) - 1)])
            for n, (s, i) in enumerate(ordered)]


def _deputies_csv(deputies: list[tuple[str, str, str]]) -> bytes:
    lines = ["familyName;name;additionalName;factionName;areaId"]
    for n, (surname, initials, faction) in enumerate(deputies):
        lines.append(f"{surname};{initials[0]}ван;{initials[1]}ович;{faction};{n % 60 + 1}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _printed(surname: str, initials: str, rng: random.Random) -> str:
    spacing = rng.choice(["{s} {a}.{b}.", "{s}  {a}.{b}.", "{s}  {a}. {b}.", "{s} {a}. {b}."])
    return spacing.format(s=surname, a=initials[0], b=initials[1])


def generate(files: int, seed: int = 7) -> tuple[bytes, list[UploadedFile], int]:
    """The deputies list, one ZIP per plenary day, and the number of roll-call rows."""
    rng = random.Random(seed)
    deputies = _deputies(rng)
    per_day = 100
    days = [date(2023, 1, 12) + timedelta(days=9 * n) for n in range(files // per_day + 1)]
    zips: list[UploadedFile] = []
    rows = 0
    made = 0
    for day in days:
        if made >= files:
            break
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            moment = datetime(day.year, day.month, day.day, 10, 0, tzinfo=council_zone())
            for n in range(1, min(per_day, files - made) + 1):
                moment += timedelta(seconds=rng.randint(40, 240))
                roll = [{"DPName": _printed(s, i, rng), "DPGolos": rng.choice(VALUES)}
                        for s, i, _ in deputies]
                if rng.random() < 0.3:  # a seat whose card was not registered
                    roll[rng.randrange(SEATS)]["DPName"] = ". ...."
                counts = {v: sum(1 for r in roll if r["DPGolos"] == v) for v in set(VALUES)}
                yes, no = counts.get("За       ", 0), counts.get("Проти    ", 0)
                abstain, nv = counts.get("Утримався", 0), counts.get("Не голосував", 0)
                vote = {
                    "DocTime": moment.strftime("%d.%m.%Y %H:%M:%S"),
                    "OrgName": "КИЇВСЬКА МІСЬКА РАДА",
                    "SName": "Пленарне засіданя 2 сесії 9 скликання",
                    "GLType": "ПОІМЕННЕ ГОЛОСУВАННЯ",
                    "GLTime": moment.strftime("%d.%m.%Y %H:%M:%S"),
                    "PD_NPP": str(n),
                    "GL_Text": f"Про проєкт рішення № 08/231-{made + n}/ПР щодо земельної "
                               f"ділянки на вул. {rng.choice(SURNAMES)}а, {n}",
                    "DPList": roll,
                    "YESCnt": yes, "NOCnt": no, "UTRCnt": abstain, "NGCnt": nv,
                    "TotalCnt": yes + no + abstain + nv,
                    "RESULT": " РІШЕННЯ ПРИЙНЯТЕ " if yes >= 61 else " РІШЕННЯ НЕ ПРИЙНЯТЕ ",
                }
                body = json.dumps(vote, ensure_ascii=False, indent=1)
                if n % 2:
                    body = body.replace("\n", "\r\n")
                archive.writestr(f"{day:%y%m%d}_{n}.json", body.encode("utf-8"))
                rows += SEATS
            made += min(per_day, files - made)
        zips.append(UploadedFile(f"{day:%Y-%m-%d}.zip", buffer.getvalue()))
    return _deputies_csv(deputies), zips, rows


async def _fresh_database(kind: str, postgres_url: str) -> tuple[str, Any]:
    """A new empty database with the schema; returns its URL and a cleanup coroutine."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="votes-bench-")
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        cleanup = None
    else:
        name = f"votes_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(postgres_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()
        url = f"{postgres_url.rsplit('/', 1)[0]}/{name}"

        async def cleanup() -> None:
            engine = make_engine(postgres_url, isolation_level="AUTOCOMMIT")
            async with engine.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await engine.dispose()

    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    await engine.dispose()
    return url, cleanup


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _copy_rows(session: Any, names: tuple[str, ...], where: dict[str, Any] | None = None
                     ) -> dict[str, list[dict[str, Any]]]:
    tables = Base.metadata.tables
    copied: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        table = tables[name]
        stmt = select(*table.c).order_by(*table.primary_key.columns)
        if where and name in where:
            stmt = stmt.where(where[name])
        copied[name] = [dict(r._mapping) for r in await session.execute(stmt)]
    return copied


async def run_import_and_bare(import_url: str, bare_url: str, deputies: bytes,
                              zips: list[UploadedFile]) -> tuple[float, float]:
    """Per day: import its ZIP (timed), read back what it stored (not timed), bulk-insert
    those same rows into the other database (timed). Interleaving the two keeps a busy
    machine's ups and downs out of their ratio."""
    tables = Base.metadata.tables
    importer_engine, bare_engine = make_engine(import_url), make_engine(bare_url)
    importer, bare = make_sessionmaker(importer_engine), make_sessionmaker(bare_engine)
    actor = Actor.shell("bench")
    async with importer() as session:
        await import_files(session, actor, [UploadedFile("deputies.csv", deputies)])
        await session.commit()
        fixed = await _copy_rows(session, ("vote_factions", "vote_deputies"))
    async with bare() as session:
        for name, rows in fixed.items():
            await session.execute(insert(tables[name]), rows)
        await session.commit()
    imported = copied_time = 0.0
    last_event = 0
    for upload in zips:
        started = time.perf_counter()
        async with importer() as session:
            report = await import_files(session, actor, [upload])
            await session.commit()
        imported += time.perf_counter() - started
        if not report.ok:
            raise SystemExit(f"import failed: {report.rejected[0]}")
        async with importer() as session:
            day = await _copy_rows(session, ("vote_convocations", "vote_sessions", "vote_events",
                                             "vote_casts"),
                                   {"vote_events": VoteEvent.id > last_event,
                                    "vote_casts": VoteCast.event_id > last_event})
        last_event = max(e["id"] for e in day["vote_events"])
        started = time.perf_counter()
        async with bare() as session:
            for name in ("vote_convocations", "vote_sessions"):
                known = set(await session.scalars(select(tables[name].c.id)))
                rows = [r for r in day[name] if r["id"] not in known]
                if rows:
                    await session.execute(insert(tables[name]), rows)
            await session.execute(insert(EVENTS_TABLE), day["vote_events"])
            await session.execute(insert(CASTS_TABLE), day["vote_casts"])
            await session.commit()
        copied_time += time.perf_counter() - started
    await importer_engine.dispose()
    await bare_engine.dispose()
    return imported, copied_time


async def run_cards(url: str, samples: int, seed: int = 11
                    ) -> tuple[list[float], list[float], list[float]]:
    engine = make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        for line in (await queries.latest_sessions(session, page_size=1000,
                                                   include_unpublished=True)).items:
            await publishing.publish_session(session, Actor.shell("bench"), line.id)
        await session.commit()
        deputy_ids = list(await session.scalars(text("SELECT id FROM vote_deputies")))
        event_ids = list(await session.scalars(text("SELECT id FROM vote_events")))
    rng = random.Random(seed)
    tr = get_translator().for_language("uk")
    deputy_ms: list[float] = []
    decision_ms: list[float] = []
    floor_ms: list[float] = []
    for _ in range(samples):
        started = time.perf_counter()
        async with sessionmaker() as session:
            await session.execute(text("SELECT 1"))
        floor_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        async with sessionmaker() as session:
            deputy = await stats.deputy_card(session, rng.choice(deputy_ids))
        markup_for(screens_deputies.deputy_card(tr, NAV, deputy, following=False))
        deputy_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        async with sessionmaker() as session:
            decision = await queries.decision_card(session, rng.choice(event_ids))
        markup_for(screens.decision(tr, NAV, decision))
        decision_ms.append((time.perf_counter() - started) * 1000)
    await engine.dispose()
    return deputy_ms, decision_ms, floor_ms


async def bench(kind: str, postgres_url: str, deputies: bytes, zips: list[UploadedFile],
                rows: int, samples: int) -> bool:
    import_url, cleanup_import = await _fresh_database(kind, postgres_url)
    bare_url, cleanup_bare = await _fresh_database(kind, postgres_url)
    try:
        imported, bare = await run_import_and_bare(import_url, bare_url, deputies, zips)
        deputy_ms, decision_ms, floor_ms = await run_cards(import_url, samples)
    finally:
        for cleanup in (cleanup_import, cleanup_bare):
            if cleanup is not None:
                await cleanup()
    ratio = bare / imported
    ok = ratio >= 0.5 and _pct(deputy_ms, 0.95) <= 20 and _pct(decision_ms, 0.95) <= 20
    print(f"[{kind}] import service: {rows:,} roll-call rows in {imported:.2f} s "
          f"= {rows / imported:,.0f} rows/s")
    print(f"[{kind}] bare bulk insert of the same rows: {bare:.2f} s = {rows / bare:,.0f} rows/s"
          f"; import / bare = {ratio:.2f} (target >= 0.5)")
    print(f"[{kind}] deputy card: p50 {_pct(deputy_ms, 0.5):.1f} ms, p95 "
          f"{_pct(deputy_ms, 0.95):.1f} ms; decision card: p50 {_pct(decision_ms, 0.5):.1f} ms, "
          f"p95 {_pct(decision_ms, 0.95):.1f} ms (target p95 <= 20 ms) over {samples} each")
    print(f"[{kind}] for scale, a bare `SELECT 1` in its own session: p50 "
          f"{_pct(floor_ms, 0.5):.1f} ms, p95 {_pct(floor_ms, 0.95):.1f} ms")
    print(f"[{kind}] {'PASS' if ok else 'FAIL'}")
    return ok


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL server URL")
    parser.add_argument("--quick", action="store_true", help="400 files instead of 4,000")
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--samples", type=int, default=300, help="card openings per kind")
    args = parser.parse_args()
    files = 400 if args.quick else 4000
    deputies, zips, rows = generate(files)
    size = sum(len(z.data) for z in zips)
    print(f"generated {files:,} vote files ({rows:,} roll-call rows) in {len(zips)} daily ZIPs, "
          f"{size / 1e6:.1f} MB compressed")
    results = []
    for kind in ("sqlite", "postgres"):
        if args.only in (None, kind):
            results.append(await bench(kind, args.postgres, deputies, zips, rows, args.samples))
    raise SystemExit(0 if all(results) else 1)


if __name__ == "__main__":
    asyncio.run(main())
