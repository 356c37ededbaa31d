"""Drafts of every dialog in one table: submitted exactly once, and surviving a restart.

Concurrency runs on the selected backend (SQLite or PostgreSQL) with one session per
"process"; restarts are a new dispatcher with fresh in-memory FSM storage on the same database.
"""

from __future__ import annotations

import asyncio
from collections import Counter as Tally
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import func, select, text, update

from migrations.config import alembic_config
from services import appeals, broadcasts, drafts, events, jobs, petitions, residents, subscriptions
from services.db import make_engine, make_sessionmaker, utcnow
from services.drafts import DraftKind, Owner
from services.errors import Conflict, DomainError
from services.models import (
    Broadcast,
    Channel,
    Draft,
    Event,
    OutboxMessage,
    Petition,
    PetitionStatus,
    Resident,
    Role,
    ScheduledTask,
    TaskStatus,
)
from services.models.appeals import Appeal, AttachmentKind
from services.models.broadcasts import Topic
from services.timeutil import to_local
from tests.fakes.resident import ResidentClient
from tests.test_migrations import _reset_schema

APPEAL_RULES = appeals.AppealRules()
PETITION_RULES = petitions.PetitionRules(max_pending_per_author=100)
TITLE = "Відремонтувати дорогу на вулиці Миру"
TEXT = "Просимо міську раду відремонтувати дорожнє покриття на вулиці Миру до кінця року."
PRESS = 900


async def _resident(session, n: int) -> Resident:
    r = await residents.give_consent(session, channel="telegram", external_id=str(n),
                                     chat_id=str(n), language="uk")
    r.phone = f"+38050{n:07d}"
    r.phone_verified_at = utcnow()
    r.full_name = f"Мешканець Номер{n}"
    r.street = "вул. Соборна"
    r.building = "12"
    await session.flush()
    return r


async def _count(sessionmaker, model, *where) -> int:
    async with sessionmaker() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)
        return await session.scalar(query) or 0


async def _race(sessionmaker, submit) -> list[str]:
    """Run `submit(session)` twice at once, each in its own session (as two processes would);
    commit the winner, roll back the loser. Returns the outcome of each: "ok" or the error."""

    async def one() -> str:
        async with sessionmaker() as session:
            try:
                await submit(session)
            except DomainError as err:
                await session.rollback()
                return err.message_key
            await session.commit()
            return "ok"

    return sorted(await asyncio.gather(one(), one()))


# ---- 1. one draft, one submission -----------------------------------------------------------


async def test_two_concurrent_submissions_of_one_appeal_draft_register_it_once(sessionmaker):
    for round_ in range(5):
        async with sessionmaker() as session:
            author = await _resident(session, 100 + round_)
            await appeals.start_draft(session, author.id)
            await appeals.update_draft(session, author.id, "files", type="complaint",
                                       category="roads", text="Яма на дорозі біля школи номер 5")
            await appeals.add_draft_file(session, APPEAL_RULES, author.id, appeals.FileInfo(
                "photo-1", AttachmentKind.PHOTO, "image/jpeg", 1000))
            await session.commit()
            author_id = author.id

        async def submit(session, author_id=author_id):
            resident = await session.get(Resident, author_id)
            await appeals.submit_draft(session, APPEAL_RULES, resident)

        assert await _race(sessionmaker, submit) == ["draft.already_submitted", "ok"], round_
        async with sessionmaker() as session:
            [appeal] = list(await session.scalars(
                select(Appeal).where(Appeal.author_id == author_id)))
            assert [a.file_id for a in appeal.attachments] == ["photo-1"]
            assert await appeals.get_draft(session, author_id) is None
    # Nothing half-written: the loser's number went back, so numbers have no gaps.
    async with sessionmaker() as session:
        assert sorted(await session.scalars(select(Appeal.seq))) == [1, 2, 3, 4, 5]


async def test_a_draft_changed_since_its_summary_is_not_submitted(session):
    author = await _resident(session, 100)
    await appeals.start_draft(session, author.id)
    shown = await appeals.update_draft(session, author.id, "confirm", type="proposal",
                                       category="roads", text="Поставити лавки у сквері біля ради")
    seen_version, author_id = shown.version, author.id
    await appeals.update_draft(session, author.id, "confirm",
                               text="Поставити лавки та урни у сквері біля ради")
    await session.commit()
    with pytest.raises(Conflict) as err:
        await appeals.submit_draft(session, APPEAL_RULES, author, version=seen_version)
    assert err.value.message_key == drafts.CHANGED
    await session.rollback()
    author = await session.get(Resident, author_id)
    current = await appeals.get_draft(session, author_id)
    assert current is not None
    appeal = await appeals.submit_draft(session, APPEAL_RULES, author, version=current.version)
    assert appeal.text == "Поставити лавки та урни у сквері біля ради"


async def test_petition_event_and_broadcast_drafts_are_submitted_once(sessionmaker):
    async with sessionmaker() as session:
        author = await _resident(session, 100)
        for n in range(101, 104):
            subscriber = await _resident(session, n)
            await subscriptions.subscribe(session, subscriber.id, [Topic.CITY_NEWS])
        await petitions.start_draft(session, PETITION_RULES, author)
        await petitions.draft_title(session, PETITION_RULES, author.id, TITLE)
        await petitions.draft_text(session, PETITION_RULES, author.id, TEXT)
        await events.start_draft(session, "telegram:900")
        await events.draft_kind(session, "telegram:900", "plenary")
        await events.draft_title(session, "telegram:900", "Сесія міської ради")
        when = to_local(utcnow() + timedelta(days=2))
        await events.draft_starts_at(session, "telegram:900", when.strftime("%d.%m.%Y %H:%M"))
        await events.draft_url(session, "telegram:900", "-")
        await broadcasts.start_draft(session, "telegram:900")
        await broadcasts.draft_text(session, "telegram:900", "Вода буде завтра", None)
        await broadcasts.draft_topic(session, "telegram:900", Topic.CITY_NEWS.value)
        bc = await broadcasts.draft_district(session, "telegram:900", None, everywhere=True)
        await session.commit()
        author_id, bc_version = author.id, bc.version

    async def petition(session):
        await petitions.submit_draft(session, PETITION_RULES, await session.get(Resident,
                                                                                 author_id))

    async def event(session):
        await events.submit_draft(session, "telegram:900", "Зала засідань")

    async def broadcast(session):
        await broadcasts.send_draft(session, "telegram:900", version=bc_version,
                                    author_chat_id="900", author_language="uk",
                                    author_channel=Channel.TELEGRAM)

    for submit in (petition, event, broadcast):
        assert await _race(sessionmaker, submit) == ["draft.already_submitted", "ok"], submit
    assert await _count(sessionmaker, Petition) == 1
    assert await _count(sessionmaker, Event) == 1
    assert await _count(sessionmaker, Broadcast) == 1
    # One broadcast, one start task: it is queued once.
    assert await _count(sessionmaker, ScheduledTask,
                        ScheduledTask.kind == broadcasts.START_TASK) == 1
    assert await _count(sessionmaker, Draft) == 0


async def _two_accounts_of_one_resident(bot_app) -> tuple[ResidentClient, ResidentClient]:
    first, second = bot_app.resident(201), bot_app.resident(202)
    await first.onboard(phone="+380671234567")
    await second.send("/start")
    await second.press("Українська")
    await second.press("Погоджуюся")
    await second.contact("+380671234567")  # the same person: joins the same resident
    await second.press("Так, це мій профіль")
    assert await _count(bot_app.sessionmaker, Resident) == 1
    return first, second


async def test_two_accounts_of_one_resident_pressing_submit_at_once_file_once(bot_app):
    first, second = await _two_accounts_of_one_resident(bot_app)
    await first.send("/menu")
    await first.press("Звернення")
    await first.press("Нове звернення")
    await first.press("Скарга")
    await first.press("Дороги")
    await first.send("Яма на дорозі біля школи номер 5, небезпечно для дітей")
    await first.press("Без файлів")
    await first.press("Пропустити")
    await first.press("Лише мені")
    await second.send("/menu")
    await second.press("Звернення")
    await second.press("Продовжити чернетку")  # the person's draft, from the other phone
    assert "Подати звернення" in str(second.last.buttons)

    answers_before = len(bot_app.fake.callback_answers)
    await asyncio.gather(first.press("Подати звернення"), second.press("Подати звернення"))

    assert await _count(bot_app.sessionmaker, Appeal) == 1
    assert await _count(bot_app.sessionmaker, Draft) == 0
    registered = [c for c in (first, second) if "зареєстровано" in (c.last.text or "")]
    assert len(registered) == 1
    alerts = [a.get("text", "") for a in bot_app.fake.callback_answers[answers_before:]]
    assert any("вже надіслано" in text for text in alerts)


async def test_a_summary_outdated_by_the_other_account_is_shown_again_not_filed(bot_app):
    first, second = await _two_accounts_of_one_resident(bot_app)
    await first.send("/menu")
    await first.press("Звернення")
    await first.press("Нове звернення")
    await first.press("Скарга")
    await first.press("Дороги")
    await first.send("Яма на дорозі біля школи номер 5, небезпечно для дітей")
    await first.press("Без файлів")
    await first.press("Пропустити")
    await first.press("Лише мені")
    summary = first.last
    await second.send("/menu")
    await second.press("Звернення")
    await second.press("Продовжити чернетку")
    await second.press("Назад")  # from the summary back to the "who may read it" step
    await second.press("Назад")  # and back to the location step
    await second.send("вул. Шкільна, 5")  # the other phone adds an address meanwhile
    await second.press("Лише мені")

    await first.press("Подати звернення", summary)
    assert "змінено з іншого пристрою" in (first.last.text or "")
    assert "вул. Шкільна, 5" in (first.last.text or "")
    assert await _count(bot_app.sessionmaker, Appeal) == 0
    await first.press("Подати звернення")
    assert "зареєстровано" in (first.last.text or "")
    async with bot_app.sessionmaker() as session:
        [appeal] = list(await session.scalars(select(Appeal)))
        assert appeal.location_text == "вул. Шкільна, 5"


# ---- 2. a restart in the middle of a dialog loses nothing ------------------------------------


@pytest.fixture
async def restartable(database_url, sessionmaker, fake_api):
    """Bot processes with in-memory FSM storage (the default) on both backends; each call
    is a (re)start: a new dispatcher and fresh storage on the same database."""
    import logging

    from aiogram.fsm.storage.memory import MemoryStorage

    from bot.app import build_bot, build_dispatcher
    from tests.conftest import BotApp, _ErrorCollector, make_test_settings

    apps: list[BotApp] = []
    errors = _ErrorCollector()
    logging.getLogger("handlers").addHandler(errors)
    logging.getLogger("aiogram.event").addHandler(errors)

    async def start() -> BotApp:
        settings = make_test_settings(database_url, fake_api.url, None)
        dp = build_dispatcher(settings, sessionmaker, storage=MemoryStorage())
        apps.append(BotApp(fake_api, dp, build_bot(settings), settings, sessionmaker))
        return apps[-1]

    yield start
    logging.getLogger("handlers").removeHandler(errors)
    logging.getLogger("aiogram.event").removeHandler(errors)
    for app in apps:
        await app.bot.session.close()
    assert not errors.records, [errors.format(r) for r in errors.records]


async def test_appeal_dialog_continues_after_a_restart(restartable):
    before = await restartable()
    c = before.resident(11)
    await c.onboard()
    await c.send("/menu")
    await c.press("Звернення")
    await c.press("Нове звернення")
    await c.press("Скарга")
    await c.press("Дороги")
    assert "Крок 3 з 7" in c.last.text

    after = await restartable()
    c = after.resident(11)
    replies = await c.send("Яма на дорозі біля школи номер 5, небезпечно для дітей")
    assert "Крок 4 з 7" in replies[-1].text


async def test_petition_dialog_continues_after_a_restart(restartable):
    before = await restartable()
    c = before.resident(11)
    await c.onboard()
    await c.send("/menu")
    await c.press("Петиції")
    await c.press("Створити петицію")
    await c.send(TITLE)
    assert "Крок 2 з 3" in c.last.text

    after = await restartable()  # the restart: fresh FSM, same database
    c = after.resident(11)
    replies = await c.send(TEXT)
    assert "Крок 3 з 3" in replies[-1].text and TITLE in replies[-1].text
    await c.press("Подати петицію")
    assert "подано" in c.last.text
    async with after.sessionmaker() as session:
        [petition] = list(await session.scalars(select(Petition)))
        assert (petition.title, petition.text) == (TITLE, TEXT)
        assert petition.status == PetitionStatus.MODERATION


async def test_broadcast_dialog_continues_after_a_restart(restartable):
    before = await restartable()
    async with before.sessionmaker() as session:
        for n in range(100, 103):
            r = await _resident(session, n)
            await subscriptions.subscribe(session, r.id, [Topic.CITY_NEWS])
        await session.commit()
    await before.make_staff(PRESS, Role.PRESS)
    p = before.resident(PRESS)
    await p.command("/broadcast")
    await p.send("Вода буде завтра з 8:00")
    await p.press("Новини міста")
    assert "район" in (p.last.text or "").lower()

    after = await restartable()
    p = after.resident(PRESS)
    await p.send("-")  # the district step's answer: all districts
    summary = p.last.text or ""
    assert "Кількість: 3" in summary and "Вода буде завтра з 8:00" in summary
    await p.press("Надіслати зараз")
    await jobs.run_tick(after.sessionmaker, "test", after.jobs)
    assert await after.deliver() == 3
    assert all(after.fake.to_chat(uid)[-1].text == "📢 Вода буде завтра з 8:00"
               for uid in range(100, 103))


async def test_a_broadcast_draft_survives_restarts_at_its_aside_and_its_summary(restartable):
    """Photo, audience, urgency and a send time chosen across three processes with the
    memory FSM: what goes out is what the draft in the database collected."""
    before = await restartable()
    async with before.sessionmaker() as session:
        for n in range(100, 102):
            r = await _resident(session, n)
            await subscriptions.subscribe(session, r.id, [Topic.CITY_NEWS])
        await session.commit()
    await before.make_staff(PRESS, Role.PRESS)
    p = before.resident(PRESS)
    await p.command("/broadcast")
    await p.photo("poster-7", caption="Перекриття руху в неділю")
    await p.press("Новини міста")
    await p.press("Усі райони")
    await p.press("Терміново: ні")
    await p.press("Запланувати")
    assert "Надішліть дату й час відправлення" in (p.last.text or "")

    middle = await restartable()  # restarted while the send time is asked
    p = middle.resident(PRESS)
    when = to_local(utcnow() + timedelta(days=1)).strftime("%d.%m.%Y") + " 09:30"
    await p.send(when)
    summary = p.last.text or ""
    assert "Крок 4 з 4" in summary and f"Коли: {when}" in summary
    assert "Терміново: так" in summary and "[фото]" in summary and "Кількість: 2" in summary

    after = await restartable()  # restarted at the summary: its button still works
    p = after.resident(PRESS)
    await p.press("Підтвердити")
    assert "заплановано" in (p.last.text or "")
    async with after.sessionmaker() as session:
        [broadcast] = list(await session.scalars(select(Broadcast)))
        assert (broadcast.photo, broadcast.urgent, broadcast.topic) == (
            "poster-7", True, Topic.CITY_NEWS.value)
        assert broadcast.text == "Перекриття руху в неділю"
        assert to_local(broadcast.scheduled_at).strftime("%d.%m.%Y %H:%M") == when
        assert await session.scalar(select(func.count()).select_from(Draft)) == 0


async def test_the_event_dialog_continues_after_a_restart(restartable):
    before = await restartable()
    await before.make_staff(PRESS, Role.PRESS)
    p = before.resident(PRESS)
    await p.command("/event_new")
    await p.press("Сесія міської ради")
    await p.send("Сесія про бюджет")
    when = to_local(utcnow() + timedelta(days=3)).strftime("%d.%m.%Y") + " 10:00"
    await p.send(when)
    assert "Крок 4 з 5" in (p.last.text or "")

    after = await restartable()
    p = after.resident(PRESS)
    await p.send("https://youtube.com/live/session")
    assert "Крок 5 з 5" in (p.last.text or "")
    await p.send("Зала засідань")
    assert "Подію створено" in (p.last.text or "")
    async with after.sessionmaker() as session:
        [event] = list(await session.scalars(select(Event)))
        assert (event.title, event.place, event.stream_url) == (
            "Сесія про бюджет", "Зала засідань", "https://youtube.com/live/session")


async def test_a_dialog_left_before_the_restart_is_not_brought_back(restartable):
    before = await restartable()
    c = before.resident(11)
    await c.onboard()
    await c.send("/menu")
    await c.press("Петиції")
    await c.press("Створити петицію")
    await c.send(TITLE)
    await c.send("/menu")  # left the dialog

    after = await restartable()
    c = after.resident(11)
    replies = await c.send(TEXT)
    assert "Крок 3 з 3" not in replies[-1].text
    assert await _count(after.sessionmaker, Petition) == 0


# ---- 3. petition numbers from the shared counter ---------------------------------------------


async def test_concurrent_approvals_number_petitions_without_errors(sessionmaker):
    async with sessionmaker() as session:
        author = await _resident(session, 100)
        filed = [await petitions.create(session, PETITION_RULES, author, title=f"{TITLE} {i}",
                                        text=TEXT) for i in range(6)]
        await session.commit()
    ids = [p.id for p in filed]

    async def approve(petition_id: int) -> int | None:
        async with sessionmaker() as session:
            petition = await petitions.approve(session, PETITION_RULES, "telegram:900",
                                               petition_id)
            await session.commit()
            return petition.number

    numbers = await asyncio.gather(*(approve(i) for i in ids))
    assert sorted(n for n in numbers if n is not None) == [1, 2, 3, 4, 5, 6]


async def test_the_petition_counter_continues_numbers_given_before_it(session):
    author = await _resident(session, 100)
    older = await petitions.create(session, PETITION_RULES, author, title=TITLE, text=TEXT)
    older.number, older.status = 41, PetitionStatus.COLLECTING  # numbered by max + 1 once
    newer = await petitions.create(session, PETITION_RULES, author, title=TITLE, text=TEXT)
    await session.flush()
    approved = await petitions.approve(session, PETITION_RULES, "telegram:900", newer.id)
    assert approved.number == 42


# ---- 4. "send" is claimed once; the enqueueing is a resumable task ---------------------------


async def _broadcast_to(sessionmaker, subscribers: int, rules: broadcasts.BroadcastRules
                        ) -> int:
    async with sessionmaker() as session:
        for n in range(100, 100 + subscribers):
            r = await _resident(session, n)
            await subscriptions.subscribe(session, r.id, [Topic.CITY_NEWS])
        b = await broadcasts.create_broadcast(
            session, actor="telegram:900", author_chat_id="900", author_language="uk",
            text="Перекриття руху", photo=None, audience=broadcasts.Audience(Topic.CITY_NEWS),
            rules=rules, author_channel=Channel.TELEGRAM)
        await session.commit()
        return b.id


async def _each_recipient_once(sessionmaker, broadcast_id: int, expected: int) -> None:
    async with sessionmaker() as session:
        chats = Tally(await session.scalars(
            select(OutboxMessage.chat_id).where(OutboxMessage.broadcast_id == broadcast_id)))
        assert len(chats) == expected and set(chats.values()) == {1}
        broadcast = await session.get(Broadcast, broadcast_id)
        assert broadcast is not None and broadcast.enqueue_done and broadcast.total == expected


async def test_the_start_task_crashed_midway_and_two_schedulers_queue_each_recipient_once(
        sessionmaker, jobs_registry):
    rules = broadcasts.BroadcastRules(chunk=3, chunks_per_run=1)
    broadcast_id = await _broadcast_to(sessionmaker, 11, rules)
    # Scheduler A claims the start task, queues one chunk, and dies before recording anything.
    async with sessionmaker() as session:
        [task] = await jobs.claim_due(session, "scheduler-a")
        await session.commit()
    async with sessionmaker() as session:
        await broadcasts.enqueue(session, broadcast_id, rules, max_chunks=1)
    async with sessionmaker() as session:  # its lease runs out
        await session.execute(update(ScheduledTask).where(ScheduledTask.id == task.id)
                              .values(locked_until=utcnow() - timedelta(seconds=1)))
        await session.commit()
    for _ in range(20):  # two schedulers tick side by side until the task is done
        await asyncio.gather(jobs.run_tick(sessionmaker, "scheduler-a", jobs_registry),
                             jobs.run_tick(sessionmaker, "scheduler-b", jobs_registry))
        async with sessionmaker() as session:
            status = await session.scalar(select(ScheduledTask.status)
                                          .where(ScheduledTask.id == task.id))
        if status == TaskStatus.DONE:
            break
    assert status == TaskStatus.DONE
    await _each_recipient_once(sessionmaker, broadcast_id, 11)


async def test_the_start_task_run_twice_at_once_queues_each_recipient_once(sessionmaker):
    rules = broadcasts.BroadcastRules(chunk=2)
    broadcast_id = await _broadcast_to(sessionmaker, 9, rules)

    async def run() -> int:
        async with sessionmaker() as session:
            queued, _ = await broadcasts.enqueue(session, broadcast_id, rules)
            return queued

    assert sum(await asyncio.gather(run(), run())) == 9
    await _each_recipient_once(sessionmaker, broadcast_id, 9)


async def test_a_second_send_press_after_the_first_sends_nothing_more(bot_app):
    async with bot_app.sessionmaker() as session:
        for n in range(100, 103):
            r = await _resident(session, n)
            await subscriptions.subscribe(session, r.id, [Topic.CITY_NEWS])
        await session.commit()
    await bot_app.make_staff(PRESS, Role.PRESS)
    p = bot_app.resident(PRESS)
    await p.command("/broadcast")
    await p.send("Вода буде завтра")
    await p.press("Новини міста")
    await p.press("Усі райони")
    summary = p.last
    await asyncio.gather(p.press("Надіслати зараз", summary), p.press("Надіслати зараз", summary))
    await jobs.run_tick(bot_app.sessionmaker, "test", bot_app.jobs)
    assert await _count(bot_app.sessionmaker, Broadcast) == 1
    assert await bot_app.deliver() == 3


# ---- the appeal drafts' move into the drafts table -------------------------------------------


async def test_the_migration_moves_appeal_drafts_and_counters(database_url: str):
    await _reset_schema(database_url)
    config = alembic_config(database_url)
    await asyncio.to_thread(command.upgrade, config, "0004")
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            now = utcnow()
            await conn.execute(text(
                "INSERT INTO residents (id, language, phone, phone_verified_at, full_name, "
                "street, building, consent_at, notifications_enabled, is_active, created_at, "
                "updated_at) VALUES (7, 'uk', '+380501234567', :now, 'Іван Петренко', "
                "'вул. Соборна', '12', :now, true, true, :now, :now)"), {"now": now})
            await conn.execute(text(
                "INSERT INTO appeal_drafts (resident_id, step, data, created_at, updated_at) "
                "VALUES (7, 'confirm', :data, :now, :now)"),
                {"now": now, "data": '{"type": "complaint", "category": "roads", '
                 '"text": "Яма на дорозі біля школи номер 5", "files": [{"file_id": "scan-1", '
                 '"kind": "document", "mime": "application/pdf", "size": 1000}]}'})
            year = now.year
            await conn.execute(text("INSERT INTO appeal_counters (year, last_number) "
                                    "VALUES (:year, 41)"), {"year": year})
        await asyncio.to_thread(command.upgrade, config, "head")
        async with make_sessionmaker(engine)() as session:
            resident = await session.get(Resident, 7)
            draft = await appeals.get_draft(session, 7)
            assert draft is not None and draft.step == "confirm"
            appeal = await appeals.submit_draft(session, APPEAL_RULES, resident, now=now)
            assert appeal.seq == 42
            assert [(a.file_id, a.kind) for a in appeal.attachments] == [("scan-1", "document")]
            await session.rollback()
        await asyncio.to_thread(command.downgrade, config, "0004")
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT last_number FROM appeal_counters"))
                    ).scalar_one() == 41
            assert (await conn.execute(text("SELECT step FROM appeal_drafts"))
                    ).scalar_one() == "confirm"
        await asyncio.to_thread(command.upgrade, config, "head")
        if database_url.startswith("postgresql"):
            # Leave the shared test database with the schema the other tests expect.
            async with engine.begin() as conn:
                await conn.execute(text("DELETE FROM drafts"))
                await conn.execute(text("DELETE FROM counters"))
                await conn.execute(text("DELETE FROM residents"))
                await conn.execute(text("DROP TABLE alembic_version"))
    finally:
        await engine.dispose()


def test_owners_of_each_kind():
    assert Owner.for_kind(DraftKind.APPEAL, 5, "telegram:1") == Owner.resident(5)
    assert Owner.for_kind(DraftKind.PETITION, None, "telegram:1") is None
    assert Owner.for_kind(DraftKind.BROADCAST, 5, "telegram:1") == Owner.staff("telegram:1")
