"""Quick checks that the core services work on the selected backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from services import jobs, outbox, residents
from services.models import OutboxMessage


async def _resident(session, ext: str = "1", lang: str = "uk"):
    return await residents.give_consent(
        session, channel="telegram", external_id=ext, chat_id=ext, language=lang
    )


async def test_notify_dedupes_and_claims_once(session):
    r = await _resident(session)
    await session.commit()
    n1 = await outbox.notify_residents(session, [r.id], lambda t: t("menu.title"), dedupe="x")
    n2 = await outbox.notify_residents(session, [r.id], lambda t: t("menu.title"), dedupe="x")
    await session.commit()
    assert (n1, n2) == (1, 0)
    first = await outbox.claim_batch(session, "w1", channel="telegram", limit=10)
    await session.commit()
    second = await outbox.claim_batch(session, "w2", channel="telegram", limit=10)
    await session.commit()
    assert len(first) == 1 and second == []
    assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


async def test_scheduled_task_runs_once(sessionmaker):
    seen: list[int] = []

    async def echo(_ctx, payload):
        seen.append(payload["n"])

    registry = jobs.JobRegistry([jobs.Task("test.echo", echo)])

    async with sessionmaker() as session:
        past = datetime.now(UTC) - timedelta(seconds=1)
        assert await jobs.schedule(session, "test.echo", past, {"n": 7}, dedupe_key="echo-7")
        assert not await jobs.schedule(session, "test.echo", past, {"n": 7}, dedupe_key="echo-7")
        await session.commit()
    await jobs.run_tick(sessionmaker, "a", registry)
    await jobs.run_tick(sessionmaker, "b", registry)
    assert seen == [7]


async def test_two_schedulers_run_each_task_once(sessionmaker):
    import asyncio

    seen: list[int] = []

    async def count(_ctx, payload):
        await asyncio.sleep(0)  # let the other scheduler interleave
        seen.append(payload["n"])

    registry = jobs.JobRegistry([jobs.Task("test.count", count)])

    async with sessionmaker() as session:
        past = datetime.now(UTC) - timedelta(seconds=1)
        for n in range(40):
            await jobs.schedule(session, "test.count", past, {"n": n})
        await session.commit()
    for _ in range(3):
        await asyncio.gather(jobs.run_tick(sessionmaker, "a", registry),
                             jobs.run_tick(sessionmaker, "b", registry))
    assert sorted(seen) == list(range(40))


async def test_daily_job_runs_once_per_day_across_processes(sessionmaker):
    import asyncio

    runs: list[str] = []

    async def daily(ctx):
        runs.append(ctx.now.date().isoformat())

    registry = jobs.JobRegistry([jobs.Periodic("test.daily", jobs.daily_at(0), daily)])
    await asyncio.gather(*(jobs.run_tick(sessionmaker, f"w{i}", registry) for i in range(3)))
    await jobs.run_tick(sessionmaker, "later", registry)
    assert len(runs) == 1


async def test_forgotten_resident_keeps_no_identity(session):
    r = await _resident(session, "77")
    await residents.forget(session, r, phone_secret=None)
    await session.commit()
    assert await residents.by_identity(session, "telegram", "77") is None


async def test_quiet_hours_delay_until_morning_kyiv():
    from services.timeutil import quiet_hours_end, to_local

    late = datetime(2026, 11, 23, 21, 30, tzinfo=UTC)  # 23:30 in Kyiv
    until = quiet_hours_end(late, 22, 8)
    assert to_local(until).hour == 8 and to_local(until).day == 24
    noon = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert quiet_hours_end(noon, 22, 8) == noon
    early = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 05:00 in Kyiv
    assert to_local(quiet_hours_end(early, 22, 8)).day == 23


def test_contacts_are_redacted_from_texts_shown_to_others():
    text = "Дзвоніть +38 (050) 123-45-67, пишіть olena@mail.ua; яма біля будинку 12, 2024 рік"
    shown = residents.redact_contacts(text)
    assert "123-45-67" not in shown and "olena@mail.ua" not in shown
    assert "будинку 12" in shown and "2024" in shown


def test_street_only_drops_the_building_and_whatever_follows():
    cases = {
        "вул. Соборна, 3": "вул. Соборна",
        "Соборна 3, кв. 5": "Соборна",
        "вул Шевченка 12/2 кв 5": "вул Шевченка",
        "вул. 8 Березня, 14": "вул. 8 Березня",
        "проспект Миру буд. 40": "проспект Миру",
        "біля школи № 5": "біля школи",
        "Зелена вулиця, Коваленко Олена, +380501234567": "Зелена вулиця",
        "12, вул. Соборна": "",
        "40-річчя Перемоги 5": "",
        "": "",
    }
    for address, street in cases.items():
        assert residents.street_only(address) == street, address
    assert len(residents.street_only("вулиця " + "Довга" * 40)) <= residents.STREET_MAX


async def test_profile_cache_sees_new_accounts_and_bulk_inserts(sessionmaker):
    from sqlalchemy import insert

    from services.models import ChannelIdentity, Resident

    cache = residents.ProfileCache()
    async with sessionmaker() as session:
        assert await cache.lookup(session, "telegram", "501") is None  # loads the account set
        await _resident(session, "501")  # an ORM flush in this process
        await session.commit()
    async with sessionmaker() as session:
        found = await cache.lookup(session, "telegram", "501")
        assert found is not None and found.language == "uk"
        resident_id = found.id
    async with sessionmaker() as session:
        # A bulk insert (as an import script would do) makes the cache reload its account set.
        await session.execute(insert(ChannelIdentity).values(
            resident_id=resident_id, channel="telegram", external_id="502", chat_id="502"))
        await session.commit()
    async with sessionmaker() as session:
        assert (await cache.lookup(session, "telegram", "502")).id == resident_id
        # A profile change is seen at once; the copy is attached to this session.
        resident = await session.get(Resident, resident_id)
        resident.language = "en"
        await session.commit()
    async with sessionmaker() as session:
        again = await cache.lookup(session, "telegram", "501")
        assert again.language == "en"
        again.full_name = "Нове Імʼя"
        await session.commit()
    async with sessionmaker() as session:
        assert (await session.get(Resident, resident_id)).full_name == "Нове Імʼя"


async def test_profile_cache_loads_once_under_concurrent_lookups(sessionmaker):
    import asyncio

    async with sessionmaker() as session:
        for ext in ("601", "602"):
            await _resident(session, ext)
        await session.commit()
    cache = residents.ProfileCache()

    async def look(ext: str):
        async with sessionmaker() as session:
            found = await cache.lookup(session, "telegram", ext)
            return None if found is None else found.id

    results = await asyncio.gather(*(look(str(600 + i % 5)) for i in range(30)))
    assert [r is not None for r in results[:5]] == [False, True, True, False, False]


async def test_callbacks_stored_together_keep_one_copy_of_each(session):
    from services import inbox

    assert await inbox.store_many(session, "viber", [inbox.Arrived("k1", "s1", "a")]) == [True]
    batch = [inbox.Arrived(key, "s2", body) for key, body in
             (("k2", "b"), ("k1", "again"), ("k2", "copy"), ("k3", "c"))]
    assert await inbox.store_many(session, "viber", batch) == [True, False, False, True]
    assert await inbox.store_many(session, "telegram", [inbox.Arrived("k1", "s1", "t")]) == [
        True]  # a key is unique per channel
    await session.commit()
    assert sorted(claimed.body for claimed in await inbox.claim(
        session, "viber", "w", limit=10)) == ["a", "b"]  # the oldest of each sender


async def test_aliases_are_made_once_for_new_accounts(session):
    from services import aliases

    first = await aliases.aliases_for(session, "viber", ["x", "y"])
    again = await aliases.aliases_for(session, "viber", ["y", "z", "x"])
    assert again["x"] == first["x"] and again["y"] == first["y"]
    assert len(set(again.values())) == 3
    assert await aliases.account_of(session, again["z"]) == ("viber", "z")
