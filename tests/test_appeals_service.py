"""Appeals service rules on the selected backend: numbering, deadlines, statuses, duplicates."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from services import appeals, residents, roles
from services.db import utcnow
from services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from services.models import OutboxMessage, Resident, Role, ScheduledTask
from services.models.appeals import Appeal, AppealStatus, AttachmentKind
from services.timeutil import local_today

RULES = appeals.AppealRules(city_bbox=(48.80, 37.50, 48.93, 37.70))
STAFF = "telegram:900"


async def _resident(session, ext: str, *, complete: bool = True, name: str = "Іван Петренко"):
    r = await residents.give_consent(
        session, channel="telegram", external_id=ext, chat_id=ext, language="uk"
    )
    if complete:
        r.phone = f"+380500000{int(ext):03d}"
        r.phone_verified_at = utcnow()
        r.full_name = name
        r.street = "вул. Соборна"
        r.building = "12"
    await session.flush()
    return r


async def _file(session, author: Resident, text: str = "Яма на дорозі біля школи номер п'ять",
                category: str = "roads", now: datetime | None = None, **kw) -> Appeal:
    return await appeals.register(
        session, RULES, author, kind="complaint", category=category, text=text, now=now, **kw
    )


async def _draft(session, author: Resident, text: str, category: str = "roads"):
    """A draft at its last step, as the filing dialog leaves it."""
    await appeals.start_draft(session, author.id)
    return await appeals.update_draft(session, author.id, "confirm", type="complaint",
                                      category=category, text=text)


async def _outbox_texts(session, resident_id: int) -> list[str]:
    return list(
        await session.scalars(
            select(OutboxMessage.text)
            .where(OutboxMessage.resident_id == resident_id)
            .order_by(OutboxMessage.id)
        )
    )


async def test_numbers_are_unique_and_gap_free_under_concurrency(sessionmaker):
    async with sessionmaker() as session:
        authors = [await _resident(session, str(i)) for i in range(1, 9)]
        await session.commit()
    ids = [a.id for a in authors]

    async def file_one(resident_id: int, fail: bool) -> str | None:
        async with sessionmaker() as session:
            author = await session.get(Resident, resident_id)
            appeal = await _file(session, author)
            if fail:  # a crash after numbering: the number must come back, not leave a gap
                await session.rollback()
                return None
            await session.commit()
            return appeal.number

    results = await asyncio.gather(
        *(file_one(ids[i % len(ids)], fail=(i % 5 == 4)) for i in range(20))
    )
    numbers = [n for n in results if n is not None]
    year = datetime.now(UTC).year
    assert len(numbers) == 16 and len(set(numbers)) == 16
    assert sorted(numbers) == [f"З-{year}-{i:06d}" for i in range(1, 17)]
    async with sessionmaker() as session:
        seqs = sorted(await session.scalars(select(Appeal.seq)))
        assert seqs == list(range(1, 17))


async def test_numbering_restarts_each_kyiv_year(session):
    author = await _resident(session, "1")
    # 31 Dec 2026 23:30 Kyiv is still 2026; 22:30 UTC that evening is already 2027 in Kyiv.
    late_2026 = datetime(2026, 12, 31, 21, 30, tzinfo=UTC)
    first_2027 = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)
    a = await _file(session, author, now=late_2026)
    b = await _file(session, author, now=first_2027)
    c = await _file(session, author, now=first_2027 + timedelta(hours=1))
    await session.commit()
    assert a.number.startswith("З-2026-")
    assert (b.number, c.number) == ("З-2027-000001", "З-2027-000002")


async def test_anonymous_appeal_is_refused_without_using_a_number(session):
    anonymous = await _resident(session, "1", complete=False)
    with pytest.raises(PermissionDenied) as err:
        await _file(session, anonymous)
    assert err.value.message_key == "appeals.error.anonymous"
    no_address = await _resident(session, "2")
    no_address.street = None
    with pytest.raises(PermissionDenied):
        await _file(session, no_address)
    author = await _resident(session, "3")
    appeal = await _file(session, author)
    assert appeal.seq == 1
    assert appeal.author_name == "Іван Петренко" and appeal.author_address == "вул. Соборна, 12"


async def test_bad_input_is_refused(session):
    author = await _resident(session, "1")
    with pytest.raises(InvalidInput) as err:
        await _file(session, author, text="x" * (RULES.text_max + 1))
    assert err.value.message_key == "appeals.error.text_long"
    with pytest.raises(InvalidInput):
        await _file(session, author, category="weather")
    with pytest.raises(InvalidInput):
        await appeals.register(session, RULES, author, kind="petition", category="roads",
                               text="Достатньо довгий текст")
    big = appeals.FileInfo("f1", AttachmentKind.PHOTO, "image/jpeg", RULES.max_file_bytes + 1)
    with pytest.raises(InvalidInput) as err:
        appeals.validate_file(RULES, big)
    assert err.value.message_key == "appeals.error.file_too_big"
    exe = appeals.FileInfo("f2", AttachmentKind.DOCUMENT, "application/x-msdownload", 100)
    with pytest.raises(InvalidInput):
        appeals.validate_file(RULES, exe)
    assert RULES.in_city(48.86, 37.60) and not RULES.in_city(50.45, 30.52)


async def test_draft_is_never_registered_until_submitted(session):
    author = await _resident(session, "1")
    await appeals.start_draft(session, author.id)
    await appeals.update_draft(session, author.id, "category", type="proposal")
    with pytest.raises(InvalidInput):
        await appeals.submit_draft(session, RULES, author)
    assert await session.scalar(select(func.count()).select_from(Appeal)) == 0
    await appeals.update_draft(session, author.id, "files", category="ecology",
                               text="Посадити дерева у сквері на Шевченка")
    for i in range(4):
        _, accepted = await appeals.add_draft_file(
            session, RULES, author.id,
            appeals.FileInfo(f"file{i}", AttachmentKind.PHOTO, "image/jpeg", 1000),
        )
        assert accepted is (i < 3)
    appeal = await appeals.submit_draft(session, RULES, author)
    assert [a.file_id for a in appeal.attachments] == ["file0", "file1", "file2"]
    assert await appeals.get_draft(session, author.id) is None


async def test_deadline_arithmetic(session):
    author = await _resident(session, "1")
    morning = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    # 22:30 UTC on 23 Nov is 00:30 on 24 Nov in Kyiv: the legal clock counts Kyiv days.
    night = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)
    a = await _file(session, author, now=morning)
    b = await _file(session, author, now=night)
    assert a.deadline == date(2026, 12, 23)
    assert b.deadline == date(2026, 12, 24)
    await appeals.mark_simple(session, RULES, STAFF, b.id, now=night)
    assert b.deadline == date(2026, 12, 9) and b.is_simple
    await appeals.mark_simple(session, RULES, STAFF, b.id, simple=False, now=night)
    assert b.deadline == date(2026, 12, 24)
    assert appeals.latest_deadline(b, RULES) == date(2027, 1, 8)
    # The author hears of each new date (15 days, then back to 30), in Kyiv dd.mm.yyyy.
    await session.flush()
    texts = await _outbox_texts(session, author.id)
    assert len(texts) == 2
    assert "09.12.2026" in texts[0] and b.number in texts[0] and "24.12.2026" in texts[1]
    # Past day 15 the shorter term would be overdue at once, so it is refused.
    with pytest.raises(Conflict) as err:
        await appeals.mark_simple(session, RULES, STAFF, b.id,
                                  now=night + timedelta(days=16))
    assert err.value.message_key == "appeals.error.simple_too_late"
    assert not b.is_simple and b.deadline == date(2026, 12, 24)


async def test_extension_is_once_and_never_past_45_days(session):
    author = await _resident(session, "1")
    # Monday 23 Nov 2026: days 45 and 46 (7 and 8 Jan 2027) are working days.
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    appeal = await _file(session, author, now=now)
    registered = local_today(now)
    with pytest.raises(InvalidInput) as err:
        await appeals.extend(session, RULES, STAFF, appeal.id,
                             new_deadline=registered + timedelta(days=46), reason="Експертиза",
                             now=now)
    assert err.value.message_key == "appeals.error.extend_cap"
    with pytest.raises(InvalidInput) as err:
        await appeals.extend(session, RULES, STAFF, appeal.id,
                             new_deadline=registered + timedelta(days=20), reason="Експертиза",
                             now=now)
    assert err.value.message_key == "appeals.error.extend_not_later"
    with pytest.raises(InvalidInput):
        await appeals.extend(session, RULES, STAFF, appeal.id,
                             new_deadline=registered + timedelta(days=40), reason="", now=now)
    assert appeal.status == AppealStatus.REGISTERED and not appeal.extended
    await appeals.extend(session, RULES, STAFF, appeal.id,
                         new_deadline=registered + timedelta(days=45), reason="Експертиза", now=now)
    assert appeal.status == AppealStatus.EXTENDED and appeal.extended
    assert appeal.deadline == registered + timedelta(days=45)
    with pytest.raises(Conflict) as err:
        await appeals.extend(session, RULES, STAFF, appeal.id,
                             new_deadline=registered + timedelta(days=45), reason="Ще раз", now=now)
    assert err.value.message_key == "appeals.error.already_extended"
    with pytest.raises(Conflict):
        await appeals.mark_simple(session, RULES, STAFF, appeal.id, now=now)
    events = await appeals.history(session, appeal.id)
    assert [e.status for e in events] == ["registered", "extended"]
    assert events[-1].reason == "Експертиза"
    await session.commit()
    texts = await _outbox_texts(session, author.id)
    assert len(texts) == 1 and "Експертиза" in texts[0]


async def test_status_transitions_and_illegal_ones_refused(session):
    author = await _resident(session, "1")
    appeal = await _file(session, author)
    with pytest.raises(Conflict) as err:
        await appeals.set_status(session, STAFF, appeal.id, AppealStatus.CLOSED)
    assert err.value.message_key == "appeals.error.transition"
    with pytest.raises(InvalidInput):
        await appeals.set_status(session, STAFF, appeal.id, AppealStatus.ANSWERED)
    await appeals.assign(session, RULES, STAFF, appeal.id, department="roads")
    with pytest.raises(InvalidInput):
        await appeals.assign(session, RULES, STAFF, appeal.id, department="weather")
    await appeals.set_status(session, STAFF, appeal.id, AppealStatus.IN_PROGRESS)
    # Art. 5 returns happen at intake, not once the work has started.
    with pytest.raises(Conflict):
        await appeals.return_appeal(session, RULES, STAFF, appeal.id, "Немає суті звернення")
    await appeals.answer(session, RULES, STAFF, appeal.id, "Яму залатано 20 листопада.",
                         file_id="doc-1", file_kind=AttachmentKind.DOCUMENT)
    assert appeal.status == AppealStatus.ANSWERED and appeal.answered_at is not None
    with pytest.raises(Conflict):
        await appeals.set_status(session, STAFF, appeal.id, AppealStatus.IN_PROGRESS)
    with pytest.raises(Conflict):
        await appeals.extend(session, RULES, STAFF, appeal.id,
                             new_deadline=appeal.deadline + timedelta(days=1), reason="Пізно")
    # "No" with a comment reopens it for staff; a second reply is refused.
    with pytest.raises(InvalidInput):
        await appeals.followup_reply(session, RULES, author, appeal.id, resolved=False)
    await appeals.followup_reply(session, RULES, author, appeal.id, resolved=False,
                                 comment="Яма знову з'явилась")
    assert appeal.status == AppealStatus.REOPENED
    with pytest.raises(Conflict):
        await appeals.followup_reply(session, RULES, author, appeal.id, resolved=True)
    await appeals.answer(session, RULES, STAFF, appeal.id, "Перекладено асфальт повністю.")
    await appeals.followup_reply(session, RULES, author, appeal.id, resolved=True)
    await appeals.rate(session, author, appeal.id, 4)
    with pytest.raises(InvalidInput):
        await appeals.rate(session, author, appeal.id, 6)
    assert appeal.status == AppealStatus.CLOSED and appeal.satisfaction == 4
    with pytest.raises(Conflict):
        await appeals.set_status(session, STAFF, appeal.id, AppealStatus.CLOSED)
    statuses = [e.status for e in await appeals.history(session, appeal.id)]
    assert statuses == ["registered", "assigned", "in_progress", "answered", "reopened",
                        "answered", "closed"]
    await session.commit()
    texts = await _outbox_texts(session, author.id)
    # assigned, in progress, answer + its file, reopened, second answer, closed
    assert len(texts) == 7
    files = list(await session.scalars(select(OutboxMessage.document).where(
        OutboxMessage.document.is_not(None))))
    assert files == ["doc-1"]


async def test_return_within_ten_days_only(session):
    author = await _resident(session, "1")
    # Tuesday 24 Nov 2026: the old one's day 10 (Monday 23 Nov) is a working day, now past.
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    old = await _file(session, author, now=now - timedelta(days=11))
    fresh = await _file(session, author, now=now)
    with pytest.raises(Conflict) as err:
        await appeals.return_appeal(session, RULES, STAFF, old.id, "Не вказано суть", now=now)
    assert err.value.message_key == "appeals.error.return_late"
    await appeals.return_appeal(session, RULES, STAFF, fresh.id, "Не вказано суть", now=now)
    assert fresh.status == AppealStatus.RETURNED and fresh.returned_reason == "Не вказано суть"
    with pytest.raises(Conflict):
        await appeals.assign(session, RULES, STAFF, fresh.id, department="roads")


async def test_duplicate_suggestions_support_and_merge(session):
    first = await _resident(session, "1")
    second = await _resident(session, "2", name="Олена Коваль")
    pothole = await _file(session, first, text="Велика яма на дорозі по вулиці Шевченка біля школи",
                          latitude=48.8600, longitude=37.6000)
    await _file(session, first, text="Не працює вуличне освітлення у парку", category="utilities")
    far = await _file(session, first, text="Прибрати сміття з узбіччя траси за містом",
                      latitude=48.9200, longitude=37.6900)
    similar = await appeals.possible_duplicates(
        session, RULES, category="roads", text="Яма на дорозі вулиці Шевченка, небезпечно",
    )
    assert [a.id for a in similar] == [pothole.id]
    nearby = await appeals.possible_duplicates(
        session, RULES, category="roads", text="Зламаний бордюр", latitude=48.8610,
        longitude=37.6005,
    )
    assert [a.id for a in nearby] == [pothole.id]
    assert await appeals.possible_duplicates(
        session, RULES, category="roads", text="Щось зовсім інше про автобуси"
    ) == []
    # Own appeals are not offered as duplicates, other categories neither.
    assert await appeals.possible_duplicates(
        session, RULES, category="roads", text="Велика яма на дорозі вулиці Шевченка",
        exclude_author=first.id,
    ) == []
    # Support needs the offer: an appeal never suggested to this resident is "not found".
    with pytest.raises(NotFound):
        await appeals.add_support(session, pothole.id, second)
    draft = await _draft(session, second, "Яма на дорозі вулиці Шевченка, небезпечно")
    offered = await appeals.offer_duplicates(session, RULES, draft)
    assert [v.id for v in offered] == [pothole.id]
    with pytest.raises(NotFound):  # offered one appeal, not any
        await appeals.add_support(session, far.id, second)
    assert (await appeals.add_support(session, pothole.id, second)).id == pothole.id
    assert await appeals.get_draft(session, second.id) is None  # supporting replaces filing
    with pytest.raises(NotFound):  # the offer went with the draft
        await appeals.add_support(session, pothole.id, second)
    assert await appeals.supporters_count(session, pothole.id) == 1
    # Even a draft that somehow lists one's own appeal cannot support it.
    await appeals.start_draft(session, first.id)
    await appeals.update_draft(session, first.id, "confirm", offered=[pothole.id])
    with pytest.raises(Conflict):
        await appeals.add_support(session, pothole.id, first)
    assert (await appeals.my_appeals(session, second.id)).total == 1

    duplicate = await _file(session, second, text="Яма на дорозі по Шевченка біля школи")
    with pytest.raises(InvalidInput):
        await appeals.merge(session, STAFF, duplicate.id, duplicate.id)
    await appeals.answer(session, RULES, STAFF, far.id, "Сміття прибрано комунальниками.")
    with pytest.raises(Conflict):
        await appeals.merge(session, STAFF, duplicate.id, far.id)
    await appeals.merge(session, STAFF, duplicate.id, pothole.id)
    assert duplicate.status == AppealStatus.MERGED and duplicate.merged_into_id == pothole.id
    # Closed appeals are no longer suggested.
    assert far.id not in [a.id for a in await appeals.possible_duplicates(
        session, RULES, category="roads", text="Прибрати сміття з узбіччя траси")]
    await appeals.answer(session, RULES, STAFF, pothole.id, "Яму залатано бригадою.")
    await session.commit()
    texts = await _outbox_texts(session, second.id)
    assert any(duplicate.number in t and pothole.number in t for t in texts)
    # A supporter of a private appeal is told it was answered, not what the answer says.
    assert any(pothole.number in t and "надано відповідь" in t for t in texts)
    assert not any("Яму залатано бригадою." in t for t in texts)
    assert any("Яму залатано бригадою." in t for t in await _outbox_texts(session, first.id))


async def test_followup_is_asked_once_after_four_weeks(session):
    author = await _resident(session, "1")
    appeal = await _file(session, author)
    answered_at = utcnow()
    await appeals.answer(session, RULES, STAFF, appeal.id, "Все виконано належним чином.",
                         now=answered_at)
    await session.commit()
    task = await session.scalar(select(ScheduledTask).where(
        ScheduledTask.kind == appeals.FOLLOWUP_TASK))
    assert task is not None and task.payload["appeal_id"] == appeal.id
    from services.timeutil import as_utc
    assert as_utc(task.due_at) - answered_at == timedelta(days=RULES.followup_days)
    assert await appeals.ask_followup(session, appeal.id) is True
    assert await appeals.ask_followup(session, appeal.id) is False
    await session.commit()
    questions = [m for m in await session.scalars(select(OutboxMessage)) if m.buttons]
    assert len(questions) == 1 and appeal.number in questions[0].text
    presses = [b["press"] for row in questions[0].buttons or [] for b in row]
    assert presses == [{"action": appeals.FOLLOWUP_PRESS, "appeal_id": appeal.id, "answer": a}
                       for a in ("yes", "no")]


async def test_digest_export_and_stats(sessionmaker):
    async with sessionmaker() as session:
        await roles.grant(session, "config", "telegram", "900", Role.MODERATOR)
        author = await _resident(session, "1")
        now = utcnow()
        overdue = await _file(session, author, now=now - timedelta(days=31))
        due = await _file(session, author, now=now - timedelta(days=28))
        # As set, not as computed: a deadline on a day off moves to the next working day, so
        # the filing dates alone would make the digest's lists depend on today's date.
        overdue.deadline = local_today(now) - timedelta(days=1)
        due.deadline = local_today(now) + timedelta(days=RULES.due_soon_days - 1)
        await _file(session, author, now=now, category="ecology",
                    text="Вирубка дерев у парку Миру без дозволу")
        done = await _file(session, author, now=now - timedelta(days=10))
        await appeals.answer(session, RULES, STAFF, done.id, "Відповідь надано заявнику.")
        await appeals.rate(session, author, done.id, 5)
        await session.commit()
        assert await appeals.send_digest(session, RULES, now) == 1
        assert await appeals.send_digest(session, RULES, now) == 0
        await session.commit()
        digest = await session.scalar(select(OutboxMessage.text).where(
            OutboxMessage.chat_id == "900"))
        assert digest is not None and overdue.number in digest and due.number in digest
        assert done.number not in digest

        today = local_today(now)
        text = await appeals.export_csv(session, STAFF, today - timedelta(days=15), today)
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == list(appeals.EXPORT_COLUMNS)
        assert [r[0] for r in rows[1:]] == sorted(r[0] for r in rows[1:])
        assert len(rows) == 3 and any(r[0] == done.number and r[8] == "10" for r in rows)

        figures = await appeals.stats(session)
        assert figures.total == 4 and figures.answered == 1
        assert figures.by_status == {"registered": 3, "answered": 1}
        assert figures.by_category == {"roads": 3, "ecology": 1}
        assert figures.median_days == 10 and figures.on_time_share == 1.0
        assert figures.satisfaction == 5 and figures.rated == 1


async def test_daily_digest_is_a_registered_periodic_job(jobs_registry):
    assert "appeals.digest" in jobs_registry.periodic
    assert appeals.FOLLOWUP_TASK in jobs_registry.tasks


async def test_a_status_change_raced_by_another_is_refused_not_repeated(sessionmaker):
    """Two handlers read the same appeal; the second to write must not close or answer again."""
    async with sessionmaker() as session:
        author = await _resident(session, "1")
        appeal = await _file(session, author)
        await appeals.answer(session, RULES, STAFF, appeal.id, "Яму залатано 20 листопада.")
        await session.commit()
        appeal_id, author_id = appeal.id, author.id
    async with sessionmaker() as slow, sessionmaker() as fast:
        # Both taps of "yes" have loaded the answered appeal before either writes.
        stale = await appeals.get(slow, appeal_id)
        slow_author = await slow.get(Resident, author_id)
        assert stale.status == AppealStatus.ANSWERED and slow_author is not None
        fast_author = await fast.get(Resident, author_id)
        assert fast_author is not None
        await appeals.followup_reply(fast, RULES, fast_author, appeal_id, resolved=True)
        await fast.commit()
        with pytest.raises(Conflict) as err:
            await appeals.followup_reply(slow, RULES, slow_author, appeal_id, resolved=True)
        assert err.value.message_key == "appeals.error.transition"
        await slow.rollback()
    async with sessionmaker() as session:
        statuses = [e.status for e in await appeals.history(session, appeal_id)]
        assert statuses == ["registered", "answered", "closed"]
        texts = await _outbox_texts(session, author_id)
        assert len(texts) == 2  # the answer and one "closed", not two


async def test_followup_of_an_earlier_answer_does_not_ask_early(session, jobs_registry):
    """Answered, reopened, answered again: the first answer's job must not ask the question."""
    author = await _resident(session, "1")
    appeal = await _file(session, author)
    await appeals.answer(session, RULES, STAFF, appeal.id, "Все виконано належним чином.")
    await appeals.followup_reply(session, RULES, author, appeal.id, resolved=False,
                                 comment="Яма знову з'явилась")
    await appeals.answer(session, RULES, STAFF, appeal.id, "Перекладено асфальт повністю.")
    await session.commit()
    tasks = list(await session.scalars(
        select(ScheduledTask).where(ScheduledTask.kind == appeals.FOLLOWUP_TASK)
        .order_by(ScheduledTask.id)))
    assert len(tasks) == 2
    # due four weeks after answer one
    await appeals.followup_task(jobs_registry.context(session), tasks[0].payload)
    await session.commit()
    assert appeal.followup_asked_at is None
    assert not [m for m in await session.scalars(select(OutboxMessage)) if m.buttons]
    await appeals.followup_task(jobs_registry.context(session), tasks[1].payload)
    await session.commit()
    assert appeal.followup_asked_at is not None
    assert len([m for m in await session.scalars(select(OutboxMessage)) if m.buttons]) == 1
