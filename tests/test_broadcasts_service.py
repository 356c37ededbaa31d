"""Subscriptions, events with reminders, and broadcasts: service rules on a real database."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from services import broadcasts, events, jobs, residents, subscriptions
from services.db import utcnow
from services.errors import Conflict, InvalidInput
from services.models import Broadcast, Channel, OutboxMessage, OutboxStatus, Priority, ScheduledTask
from services.models.broadcasts import BroadcastStatus, EventKind, Topic
from tests.conftest import make_job_registry


async def make_residents(session, first_id, count, topics=(), district=None):
    ids = []
    for uid in range(first_id, first_id + count):
        r = await residents.give_consent(
            session, channel="telegram", external_id=str(uid), chat_id=str(uid), language="en"
        )
        r.district = district
        await subscriptions.subscribe(session, r.id, topics)
        ids.append(r.id)
    await session.commit()
    return ids


async def rows(session, **where):
    session.expire_all()
    query = select(OutboxMessage)
    for key, value in where.items():
        query = query.where(getattr(OutboxMessage, key) == value)
    return list(await session.scalars(query.order_by(OutboxMessage.id)))


def _of(rows_, event_id: int, stage: str) -> list:
    """The outbox rows of one event's message (`new`, `v1:ahead`, `change`...)."""
    prefix = f"event:{event_id}:{stage}"
    return [r for r in rows_ if r.dedupe_key and r.dedupe_key.startswith(prefix)]


async def test_toggle_topics(session):
    [rid] = await make_residents(session, 1, 1)
    assert await subscriptions.topics_of(session, rid) == set()
    assert await subscriptions.toggle(session, rid, Topic.CITY_NEWS) is True
    assert await subscriptions.toggle(session, rid, Topic.COUNCIL_VOTES) is True
    assert await subscriptions.toggle(session, rid, Topic.CITY_NEWS) is False
    assert await subscriptions.topics_of(session, rid) == {Topic.COUNCIL_VOTES}
    await subscriptions.subscribe_popular(session, rid)
    await subscriptions.subscribe_popular(session, rid)  # twice is harmless
    assert Topic.CITY_NEWS in await subscriptions.topics_of(session, rid)
    with pytest.raises(InvalidInput):
        subscriptions.parse_topic("cats")


def test_event_input_validation():
    now = utcnow()
    with pytest.raises(InvalidInput) as err:
        events.parse_starts_at("01.01.2020 10:00", now)
    assert err.value.message_key == "events.time_past"
    with pytest.raises(InvalidInput) as err:
        events.parse_starts_at("tomorrow-ish", now)
    assert err.value.message_key == "events.time_invalid"
    future = events.parse_starts_at(f"01.06.{now.year + 1} 18:30", now)
    assert future.hour == 15  # Kyiv summer time is UTC+3
    for bad in ("ftp://x.org", "https://", "not a url", "https://no-dot", "javascript:alert(1)"):
        with pytest.raises(InvalidInput):
            events.validate_url(bad)
    assert events.validate_url(" https://youtube.com/live/x ") == "https://youtube.com/live/x"
    assert events.validate_url("-") is None
    with pytest.raises(InvalidInput):
        events.validate_title("   ")
    with pytest.raises(InvalidInput):
        events.validate_title("x" * 201)


async def due_tasks(session):
    session.expire_all()
    return list(await session.scalars(
        select(ScheduledTask).where(ScheduledTask.kind == events.REMINDER_TASK,
                                    ScheduledTask.status == "pending")))


async def run_due(sessionmaker, session):
    """Make every pending reminder due now and run a scheduler tick."""
    await session.execute(update(ScheduledTask).values(due_at=utcnow() - timedelta(seconds=1)))
    await session.commit()
    await jobs.run_tick(sessionmaker, "test", make_job_registry())


async def test_event_reminders_once_each_and_change_announced(sessionmaker, session):
    await make_residents(session, 100, 3, topics=[Topic.LIVESTREAM_PLENARY])
    await make_residents(session, 200, 2, topics=[Topic.PRESS_CONFERENCE])
    [asker] = await make_residents(session, 300, 1)
    event = await events.create_event(
        session, actor="telegram:1", kind=EventKind.PLENARY, title="Session <12>",
        starts_at=utcnow() + timedelta(days=2), stream_url="https://youtube.com/live/a",
        place="Hall", rules=events.EventRules(reminder_hours=24),
    )
    await session.commit()
    starts, event_id = event.starts_at, event.id
    assert await events.remind_me(session, event_id, asker) is True
    assert await events.remind_me(session, event_id, asker) is False
    await session.commit()
    tasks = await due_tasks(session)
    assert sorted(t.payload["stage"] for t in tasks) == ["ahead", "live"]
    ahead = next(t for t in tasks if t.payload["stage"] == "ahead")
    assert abs((ahead.due_at.replace(tzinfo=None) - (starts - timedelta(hours=24))
                .replace(tzinfo=None)).total_seconds()) < 1

    # Run the day-ahead reminder twice (a retried job): each person gets it once.
    await events.send_reminder(session, {"event_id": event_id, "version": 1, "stage": "ahead"})
    await events.send_reminder(session, {"event_id": event_id, "version": 1, "stage": "ahead"})
    await session.commit()
    sent = _of(await rows(session), event_id, "v1:ahead")
    assert sorted(int(r.chat_id) for r in sent) == [100, 101, 102, 300]
    assert "Session &lt;12&gt;" in sent[0].text
    assert sent[0].buttons == [[{"text": "Watch the stream", "url": "https://youtube.com/live/a"}]]

    # Moving the start: those told hear about it; old jobs are void, new ones scheduled.
    new_start = utcnow() + timedelta(days=3)
    await events.update_event(session, event_id, actor="telegram:1", starts_at=new_start)
    await session.commit()
    changed = [r for r in await rows(session)
               if r.dedupe_key.startswith(f"event:{event_id}:change")]
    assert sorted(int(r.chat_id) for r in changed) == [100, 101, 102, 300]
    tasks = await due_tasks(session)
    assert {t.payload["version"] for t in tasks} == {2}
    # Sending the same values again changes nothing, so nobody hears about a "change".
    stored = await events.get_event(session, event_id)
    await events.update_event(session, event_id, actor="telegram:1",
                              starts_at=stored.starts_at, title="Session <12>", place="Hall")
    await session.commit()
    assert len([r for r in await rows(session)
                if r.dedupe_key.startswith(f"event:{event_id}:change")]) == 4

    # The live reminder is urgent and goes to followers and the asker only.
    await run_due(sessionmaker, session)
    live = [r for r in await rows(session) if r.dedupe_key.startswith(f"event:{event_id}:v2:live")]
    assert sorted(int(r.chat_id) for r in live) == [100, 101, 102, 300]
    assert {r.priority for r in live} == {Priority.URGENT}

    await events.cancel_event(session, event_id, actor="telegram:1")
    await session.commit()
    with pytest.raises(Conflict):
        await events.cancel_event(session, event_id, actor="telegram:1")


async def test_new_event_is_announced_at_once_and_tells_which_reminders_follow(sessionmaker,
                                                                               session):
    await make_residents(session, 100, 2, topics=[Topic.PRESS_CONFERENCE])
    await make_residents(session, 200, 1, topics=[Topic.LIVESTREAM_PLENARY])
    rules = events.EventRules(reminder_hours=24)

    async def create(delta: timedelta) -> int:
        event = await events.create_event(
            session, actor="telegram:1", kind=EventKind.PRESS_CONFERENCE, title=f"In {delta}",
            starts_at=utcnow() + delta, stream_url=None, place=None, rules=rules)
        await session.commit()
        return event.id

    later, soon, very_soon = (await create(timedelta(days=2)), await create(timedelta(hours=3)),
                              await create(timedelta(minutes=30)))
    everything = await rows(session)
    for event_id in (later, soon, very_soon):
        # Followers of the topic only, once each, at creation.
        assert sorted(int(r.chat_id) for r in _of(everything, event_id, "new")) == [100, 101]
    [ahead_text] = {r.text for r in _of(everything, later, "new")}
    assert "24 h before and at the start" in ahead_text
    for event_id in (soon, very_soon):
        [text] = {r.text for r in _of(everything, event_id, "new")}
        assert "when it starts" in text and "24 h" not in text
        # Starting within hours: the announcement does not wait for the end of quiet hours.
        assert {r.priority for r in _of(everything, event_id, "new")} == {Priority.URGENT}
        assert await events.planned_reminders(session, await events.get_event(session, event_id)
                                              ) == ("live",)
    assert await events.planned_reminders(session, await events.get_event(session, later)) == (
        "ahead", "live")

    # Running every reminder job sends no "24 h" reminder for the events hours away.
    await run_due(sessionmaker, session)
    await run_due(sessionmaker, session)
    everything = await rows(session)
    assert _of(everything, soon, "v1:ahead") == [] and _of(everything, very_soon, "v1:ahead") == []
    assert len(_of(everything, soon, "v1:live")) == 2
    assert len(_of(everything, soon, "new")) == 2  # never announced twice


async def test_stale_reminder_does_nothing(session):
    await make_residents(session, 100, 2, topics=[Topic.PRESS_CONFERENCE])
    event = await events.create_event(
        session, actor="telegram:1", kind=EventKind.PRESS_CONFERENCE, title="Mayor",
        starts_at=utcnow() + timedelta(days=2), stream_url=None, place=None,
    )
    await events.cancel_event(session, event.id, actor="telegram:1")
    await events.send_reminder(session, {"event_id": event.id, "version": 1, "stage": "live"})
    await session.commit()
    event_id = event.id
    everything = await rows(session)
    assert _of(everything, event_id, "v1:live") == []
    # The followers told at creation hear of the cancellation.
    assert sorted(int(r.chat_id) for r in _of(everything, event_id, "cancel")) == [100, 101]


async def test_event_in_the_past_rejected(session):
    with pytest.raises(InvalidInput):
        await events.create_event(
            session, actor="telegram:1", kind=EventKind.PLENARY, title="Late",
            starts_at=utcnow() - timedelta(minutes=1), stream_url=None, place=None,
        )


async def test_broadcast_audience_enqueue_progress_cancel(sessionmaker, session):
    await make_residents(session, 100, 7, topics=[Topic.CITY_NEWS], district="Center")
    await make_residents(session, 200, 4, topics=[Topic.CITY_NEWS], district="North")
    await make_residents(session, 300, 3, topics=[Topic.COUNCIL_VOTES])
    news = broadcasts.Audience(Topic.CITY_NEWS)
    assert await broadcasts.count_audience(session, news) == 11
    assert await broadcasts.count_audience(session, broadcasts.Audience(Topic.CITY_NEWS,
                                                                         "center")) == 7
    assert await broadcasts.count_audience(session, broadcasts.Audience()) == 14
    with pytest.raises(InvalidInput) as err:
        await broadcasts.create_broadcast(
            session, actor="telegram:9", author_chat_id="9", author_language="en",
            text="hi", photo=None, audience=broadcasts.Audience(Topic.CONSULTATIONS),
            author_channel=Channel.TELEGRAM)
    assert err.value.message_key == "broadcasts.audience_empty"
    with pytest.raises(InvalidInput):
        broadcasts.validate_text("x" * 1025, has_photo=True)
    with pytest.raises(InvalidInput):
        broadcasts.validate_text("  ", has_photo=False)

    b = await broadcasts.create_broadcast(
        session, actor="telegram:9", author_chat_id="9", author_language="en",
        text="Water <off> tomorrow", photo=None, audience=news, author_channel=Channel.TELEGRAM)
    await session.commit()
    bid = b.id
    queued = await broadcasts.start(session, bid, broadcasts.BroadcastRules(chunk=3))
    assert queued == 11
    assert await broadcasts.start(session, bid) == 0  # a second start queues nobody again
    queued_rows = await rows(session, broadcast_id=bid)
    assert len(queued_rows) == 11
    assert Counter(r.chat_id for r in queued_rows).most_common(1)[0][1] == 1
    assert {r.priority for r in queued_rows} == {Priority.BULK}
    assert queued_rows[0].text.endswith("Water &lt;off&gt; tomorrow")

    # Pretend three went out and one was blocked, then cancel the rest.
    ids = [r.id for r in queued_rows]
    await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids[:3]))
                          .values(status=OutboxStatus.SENT.value))
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == ids[3])
                          .values(status=OutboxStatus.BLOCKED.value))
    await session.commit()
    figures = await broadcasts.progress(session, bid)
    assert (figures.total, figures.sent, figures.blocked, figures.remaining) == (11, 3, 1, 7)
    figures = await broadcasts.cancel(session, bid, actor="telegram:9")
    await session.commit()
    assert (figures.sent, figures.cancelled, figures.remaining) == (3, 7, 0)
    with pytest.raises(Conflict):
        await broadcasts.cancel(session, bid, actor="telegram:9")
    history, total = await broadcasts.history(session)
    assert total == 1 and history[0].status == BroadcastStatus.CANCELLED.value


async def test_broadcast_finishes_with_a_report_once(sessionmaker, session, jobs_registry):
    await make_residents(session, 100, 3, topics=[Topic.CITY_NEWS])
    b = await broadcasts.create_broadcast(
        session, actor="telegram:9", author_chat_id="9", author_language="en",
        text="Hello", photo=None, audience=broadcasts.Audience(Topic.CITY_NEWS), urgent=True,
        author_channel=Channel.TELEGRAM)
    await session.commit()
    bid = b.id
    await broadcasts.start(session, bid)
    assert {r.priority for r in await rows(session, broadcast_id=bid)} == {Priority.URGENT}
    await session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT.value))
    await session.commit()
    await jobs.run_tick(sessionmaker, "t", jobs_registry)
    await jobs.run_tick(sessionmaker, "t", jobs_registry)
    reports = await rows(session, chat_id="9")
    assert len(reports) == 1
    assert "Sent: 3" in reports[0].text
    session.expire_all()
    done = await session.get(Broadcast, bid)
    assert done is not None and done.status == BroadcastStatus.DONE.value and done.sent == 3


async def test_scheduled_broadcast_starts_from_the_job(sessionmaker, session, jobs_registry):
    await make_residents(session, 100, 2)
    b = await broadcasts.create_broadcast(
        session, actor="telegram:9", author_chat_id="9", author_language="en",
        text="Later", photo=None, audience=broadcasts.Audience(),
        scheduled_at=utcnow() + timedelta(hours=1), author_channel=Channel.TELEGRAM)
    await session.commit()
    bid = b.id
    await jobs.run_tick(sessionmaker, "t", jobs_registry)
    assert await rows(session, broadcast_id=bid) == []
    await session.execute(update(ScheduledTask).values(due_at=utcnow() - timedelta(seconds=1)))
    await session.commit()
    await jobs.run_tick(sessionmaker, "t", jobs_registry)
    assert len(await rows(session, broadcast_id=bid)) == 2


async def test_a_chunk_built_while_the_broadcast_is_cancelled_queues_nothing(sessionmaker,
                                                                             session):
    """The sender read "sending", then a press officer cancelled: the chunk must not go out."""
    await make_residents(session, 400, 5, topics=[Topic.CITY_NEWS])
    b = await broadcasts.create_broadcast(
        session, actor="telegram:9", author_chat_id="9", author_language="en",
        text="Road works", photo=None, audience=broadcasts.Audience(Topic.CITY_NEWS),
        author_channel=Channel.TELEGRAM)
    await session.execute(update(Broadcast).where(Broadcast.id == b.id)
                          .values(status=BroadcastStatus.SENDING.value))
    await session.commit()
    bid = b.id
    async with sessionmaker() as sender, sessionmaker() as press:
        stale = await sender.get(Broadcast, bid)
        assert stale is not None and stale.status == BroadcastStatus.SENDING.value
        await broadcasts.cancel(press, bid, actor="telegram:9")
        await press.commit()
        assert await broadcasts._enqueue_chunk(sender, stale, broadcasts.BroadcastRules()) is None
    assert [r for r in await rows(session, broadcast_id=bid)
            if r.status == OutboxStatus.PENDING.value] == []
    session.expire_all()
    after = await session.get(Broadcast, bid)
    assert after is not None and after.status == BroadcastStatus.CANCELLED.value


async def test_cancel_read_before_the_broadcast_finished_does_not_undo_it(sessionmaker,
                                                                         session):
    await make_residents(session, 500, 2, topics=[Topic.CITY_NEWS])
    b = await broadcasts.create_broadcast(
        session, actor="telegram:9", author_chat_id="9", author_language="en",
        text="Road works", photo=None, audience=broadcasts.Audience(Topic.CITY_NEWS),
        author_channel=Channel.TELEGRAM)
    await session.execute(update(Broadcast).where(Broadcast.id == b.id)
                          .values(status=BroadcastStatus.SENDING.value))
    await session.commit()
    bid = b.id
    async with sessionmaker() as press:
        stale = await press.get(Broadcast, bid)  # the press officer's screen says "sending"
        assert stale is not None
        await session.execute(update(Broadcast).where(Broadcast.id == bid)
                              .values(status=BroadcastStatus.DONE.value))
        await session.commit()  # meanwhile the last message went out and it was closed
        with pytest.raises(Conflict):
            await broadcasts.cancel(press, bid, actor="telegram:9")
        await press.rollback()
    session.expire_all()
    after = await session.get(Broadcast, bid)
    assert after is not None and after.status == BroadcastStatus.DONE.value


def test_event_date_without_a_year_rolls_into_january():
    from datetime import UTC, datetime

    december = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)
    starts = events.parse_starts_at("05.01 18:00", december)
    assert (starts.year, starts.month, starts.day, starts.hour) == (2027, 1, 5, 16)
    with pytest.raises(InvalidInput) as err:  # yesterday is still "in the past", not next year
        events.parse_starts_at("19.12 10:00", december)
    assert err.value.message_key == "events.time_past"
