"""The poll jobs: opening announcements, closing and results exactly once, through the outbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from handlers import polls as polls_feature
from services import jobs
from services.db import make_engine, make_sessionmaker, utcnow
from services.models import Channel, Subscription
from services.models.broadcasts import Topic
from services.polls import answers, manage, media
from services.polls.jobs import JOBS, announce_openings, close_due, send_results
from services.polls.models import Poll, PollChart, PollStatus
from tests.conftest import make_job_registry
from tests.polls_support import (
    DISTRICTS,
    MODERATOR,
    RULES,
    make_moderator,
    make_resident,
    option_ids,
    outbox_rows,
    published,
    spec,
)


async def subscribe(session, *residents) -> None:
    for resident in residents:
        session.add(Subscription(resident_id=resident.id, topic=Topic.CONSULTATIONS.value))
    await session.flush()


@pytest.fixture
def registered():
    """The job registry a process builds from the features at start-up."""
    return make_job_registry()


def test_jobs_are_declared_in_order_through_the_feature(registered):
    assert [name for name, _, _ in JOBS] == ["polls.open", "polls.close", "polls.results"]
    declared = [job.name for job in polls_feature.feature.jobs]
    assert declared == ["polls.open", "polls.close", "polls.results"]
    assert all(name in registered.periodic for name in declared)


async def test_opening_is_announced_once_to_the_poll_districts(session):
    await make_moderator(session)
    now = utcnow()
    inside = await make_resident(session, 1, district="Північний")
    outside = await make_resident(session, 2, district="Південний")
    unknown = await make_resident(session, 3)
    await make_resident(session, 4, district="Північний")  # not subscribed
    await subscribe(session, inside, outside, unknown)
    poll = await published(session, now, opens_at=now + timedelta(hours=1),
                           districts=("Північний",))
    quiet = await published(session, now, announce=False)
    await announce_openings(session, now)
    assert await outbox_rows(session, f"poll:{poll.id}:opened") == []  # not open yet
    opening = now + timedelta(hours=1, seconds=1)
    await announce_openings(session, opening)
    await announce_openings(session, opening + timedelta(seconds=5))
    await session.commit()
    rows = await outbox_rows(session, f"poll:{poll.id}:opened")
    assert [r.chat_id for r in rows] == ["1", "3"]
    assert "Нове опитування" in rows[0].text and "Чи потрібен сквер" in rows[0].text
    assert rows[0].buttons == [[{"text": "Відкрити опитування", "link": f"poll_{poll.id}"}]]
    assert await outbox_rows(session, f"poll:{quiet.id}:") == []


async def _closed_poll_with_answers(sessionmaker, **overrides) -> tuple[int, list[int]]:
    """A poll that closed a minute ago, answered by 1 and 2; 2 and 3 follow consultations."""
    start = utcnow() - timedelta(hours=2)
    async with sessionmaker() as session:
        await make_moderator(session)
        draft = await manage.create_draft(
            session, RULES, DISTRICTS, MODERATOR,
            spec(start, closes_at=utcnow() - timedelta(minutes=1), **overrides), now=start)
        await manage.publish(session, MODERATOR, draft.id, draft.version, now=start)
        people = [await make_resident(session, n) for n in (1, 2, 3)]
        ids = await option_ids(session, draft.id)
        for who, option in zip(people[:2], ids, strict=False):
            await answers.answer(session, DISTRICTS, draft.id, who, [option],
                                 now=start + timedelta(minutes=5), channel=Channel.TELEGRAM)
        await subscribe(session, people[1], people[2])
        await session.commit()
        return draft.id, ids


async def test_closing_exactly_once_with_two_schedulers(database_url, registered):
    """Two processes (two engines) tick at the same moment, twice."""
    engines = [make_engine(database_url), make_engine(database_url)]
    makers = [make_sessionmaker(e) for e in engines]
    try:
        poll_id, _ = await _closed_poll_with_answers(makers[0])
        for round_ in range(2):
            await asyncio.gather(*(jobs.run_tick(m, f"w{i}-{round_}", registered)
                                   for i, m in enumerate(makers)))
        async with makers[1]() as session:
            poll = await session.get(Poll, poll_id)
            assert poll.status == PollStatus.CLOSED and poll.results_sent_at is not None
            assert poll.closed_by is None  # on schedule
            rows = await outbox_rows(session, f"poll:{poll_id}:results")
            # Both who answered and the subscriber, each once (2 is both).
            assert [r.chat_id for r in rows] == ["1", "2", "3"]
            assert {r.photo for r in rows} == {media.reference(poll_id)}
            assert "Результати опитування" in rows[0].text and "1 · 50%" in rows[0].text
            assert await session.scalar(select(func.count()).select_from(PollChart)) == 1
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_restart_in_the_middle_neither_loses_nor_repeats(sessionmaker):
    poll_id, _ = await _closed_poll_with_answers(sessionmaker)
    now = utcnow()
    async with sessionmaker() as session:
        await close_due(session, now)
        await session.commit()
    # The process dies after queueing the results but before its commit.
    async with sessionmaker() as session:
        await send_results(session, now)
        assert len(await outbox_rows(session, f"poll:{poll_id}:results")) == 3
        await session.rollback()
    async with sessionmaker() as session:
        assert await outbox_rows(session, f"poll:{poll_id}:results") == []
        assert (await session.get(Poll, poll_id)).results_sent_at is None
    # The next tick does it, once; the one after finds nothing left to do.
    for _ in range(2):
        async with sessionmaker() as session:
            await close_due(session, now)
            await send_results(session, now + timedelta(seconds=5))
            await session.commit()
    async with sessionmaker() as session:
        assert len(await outbox_rows(session, f"poll:{poll_id}:results")) == 3


async def test_closed_early_results_and_the_chart_media(sessionmaker):
    long_options = tuple(f"Варіант відповіді номер {i}: " + "дуже довгий опис " * 4
                         for i in range(8))
    async with sessionmaker() as session:
        await make_moderator(session)
        poll = await published(session, options=long_options)
        voter = await make_resident(session, 1, lang="en")
        first = (await option_ids(session, poll.id))[0]
        await answers.answer(session, DISTRICTS, poll.id, voter, [first], channel=Channel.TELEGRAM)
        await manage.close_early(session, MODERATOR, poll.id)
        await session.commit()
        poll_id = poll.id
    async with sessionmaker() as session:
        await send_results(session, utcnow())
        await session.commit()
        (row,) = await outbox_rows(session, f"poll:{poll_id}:results")
        # Too long for a photo caption: a short one, the card has the rest.
        assert len(row.text) <= 1024 and "Details are on the poll’s card" in row.text
        ref = row.photo
        image = await media.resolve(session, ref, "telegram")
        assert image is not None and image.png.startswith(b"\x89PNG") and image.file_id is None
        await media.remember_upload(session, ref, "telegram", "AgAD-file-id")
        await session.commit()
    async with sessionmaker() as session:
        image = await media.resolve(session, ref, "telegram")
        assert image is not None and image.file_id == "AgAD-file-id"
        assert image.filename == f"poll-{poll_id}-results.png"
        assert await media.resolve(session, ref, "viber") is not None
        assert (await media.resolve(session, ref, "viber")).file_id is None
        assert await media.resolve(session, "AgAD-other", "telegram") is None
        assert media.poll_of_reference("poll-chart:x") is None
