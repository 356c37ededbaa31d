"""Dispatcher tests for the press service: broadcasts and events, through the fake Bot API."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from services import jobs, residents, subscriptions
from services.db import utcnow
from services.models import Broadcast, OutboxMessage, Role, ScheduledTask, Topic
from services.models.broadcasts import BroadcastStatus, Event, EventStatus
from services.timeutil import to_local

PRESS = 900


async def subscribers(bot_app, first: int, count: int, topic: Topic | None = Topic.CITY_NEWS
                      ) -> list[int]:
    ids = []
    async with bot_app.sessionmaker() as session:
        for uid in range(first, first + count):
            r = await residents.give_consent(session, channel="telegram", external_id=str(uid),
                                             chat_id=str(uid), language="uk")
            if topic is not None:
                await subscriptions.subscribe(session, r.id, [topic])
            ids.append(r.id)
        await session.commit()
    return ids


async def press_user(bot_app):
    await bot_app.make_staff(PRESS, Role.PRESS)
    return bot_app.resident(PRESS)


def kyiv(delta: timedelta) -> str:
    return to_local(utcnow() + delta).strftime("%d.%m.%Y %H:%M")


async def test_non_press_user_gets_the_unknown_command_answer(bot_app):
    c = bot_app.resident(42)
    await c.command("/no_such_command")
    unknown = c.last.text
    for command in ("/broadcast", "/broadcasts", "/event_new"):
        await c.command(command)
        assert c.last.text == unknown


async def test_broadcast_dialog_sends_to_the_audience(bot_app):
    await subscribers(bot_app, 100, 5)
    await subscribers(bot_app, 200, 2, Topic.COUNCIL_VOTES)
    p = await press_user(bot_app)
    await p.command("/broadcast")
    assert "крок 1 з 4" in (p.last.text or "")
    await p.sticker()
    assert "лише фото" in (p.last.text or "") and "крок 1 з 4" in (p.last.text or "")
    await p.send("x" * 3501)
    assert "Задовго: 3501" in (p.last.text or "")
    await p.send("Вода <b>завтра</b> & все")
    assert "Крок 2 з 4" in (p.last.text or "")
    await p.press("Консультації")  # nobody follows it
    await p.press("Усі райони")
    assert "ніхто не складає" in (p.last.text or "") and "Крок 2 з 4" in (p.last.text or "")
    await p.press("Новини міста")
    await p.press("Усі райони")
    summary = p.last.text or ""
    assert "Кількість: 5" in summary
    assert "Вода &lt;b&gt;завтра&lt;/b&gt; &amp; все" in summary
    await p.press("Надіслати зараз")
    # The press returns at once: the scheduler's start task enqueues the audience.
    assert "поставлено в чергу" in (p.last.text or "")
    progress = p.last
    assert await bot_app.deliver() == 0
    await jobs.run_tick(bot_app.sessionmaker, "test", bot_app.jobs)
    await p.press("Оновити", progress)
    assert "надіслано 0" in (p.last.text or "") and "лишилося 5 з 5" in (p.last.text or "")

    assert await bot_app.deliver() == 5
    for uid in range(100, 105):
        [got] = bot_app.fake.to_chat(uid)
        # Shown literally: the press text is escaped for HTML parse mode.
        assert got.text == "📢 Вода &lt;b&gt;завтра&lt;/b&gt; &amp; все"
        assert got.params["parse_mode"] == "HTML"
    assert bot_app.fake.to_chat(200) == []
    await p.press("Оновити", progress)
    assert "Надіслано: 5" in (p.last.text or "")
    assert p.last.message_id == progress.message_id

    # closes the broadcast, queues the report
    await jobs.run_tick(bot_app.sessionmaker, "test", bot_app.jobs)
    await bot_app.deliver()
    assert "Розсилку завершено" in (p.last.text or "") and "Надіслано: 5" in (p.last.text or "")
    await p.command("/broadcasts")
    assert "№1 (завершено" in (p.last.text or "")


async def test_photo_broadcast_urgent_to_a_district(bot_app):
    ids = await subscribers(bot_app, 100, 4)
    async with bot_app.sessionmaker() as session:
        for rid in ids[:2]:
            r = await residents.get(session, rid)
            r.district = "Центральний"
        await session.commit()
    p = await press_user(bot_app)
    await p.command("/broadcast")
    await p.photo("poster-1", caption="x" * 1100)
    assert "Задовго" in (p.last.text or "")  # a caption is limited to 1024
    await p.photo("poster-1", caption="Перекриття руху")
    await p.press("Новини міста")
    await p.send("центральний")
    assert "Кількість: 2" in (p.last.text or "")
    await p.press("Терміново: ні")
    assert "Терміново: так" in (p.last.text or "")
    await p.press("Надіслати зараз")
    await jobs.run_tick(bot_app.sessionmaker, "test", bot_app.jobs)
    async with bot_app.sessionmaker() as session:
        rows = list(await session.scalars(select(OutboxMessage).where(
            OutboxMessage.broadcast_id.is_not(None))))
    assert {r.priority for r in rows} == {0}
    await bot_app.deliver()
    for uid in (100, 101):
        [got] = bot_app.fake.to_chat(uid)
        assert got.method == "sendPhoto" and got.params["photo"] == "poster-1"
    assert bot_app.fake.to_chat(102) == []


async def test_cancel_a_running_broadcast(bot_app):
    await subscribers(bot_app, 100, 5)
    p = await press_user(bot_app)
    await p.command("/broadcast")
    await p.command("/help")  # a command mid-dialog is not taken for the announcement
    await p.send("Скасуйте мене")
    assert "Крок 2 з 4" in (p.last.text or "")
    await p.press("Новини міста")
    await p.press("Усі райони")
    await p.press("Надіслати зараз")
    await jobs.run_tick(bot_app.sessionmaker, "test", bot_app.jobs)
    await p.press("Зупинити розсилку")
    assert "не надіслано: 5" in (p.last.text or "")
    assert await bot_app.deliver() == 0
    assert all(bot_app.fake.to_chat(uid) == [] for uid in range(100, 105))
    assert not any("Зупинити" in b["text"] for b in p.last.buttons)
    async with bot_app.sessionmaker() as session:
        [b] = list(await session.scalars(select(Broadcast)))
        assert b.status == BroadcastStatus.CANCELLED.value and b.cancelled == 5


async def test_scheduled_broadcast(bot_app):
    await subscribers(bot_app, 100, 3)
    p = await press_user(bot_app)
    await p.command("/broadcast")
    await p.send("Пізніше")
    await p.press("Усім")
    await p.press("Усі райони")
    await p.press("Запланувати")
    await p.send(kyiv(-timedelta(hours=1)))
    assert "уже минув" in (p.last.text or "")
    await p.send("колись")
    assert "Не вдалося розпізнати" in (p.last.text or "")
    when = kyiv(timedelta(hours=2))
    await p.send(when)
    assert f"Коли: {when}" in (p.last.text or "")
    await p.press("Підтвердити")
    assert "заплановано" in (p.last.text or "")
    assert await bot_app.deliver() == 0
    async with bot_app.sessionmaker() as session:
        await session.execute(update(ScheduledTask).values(due_at=utcnow()))
        await session.commit()
    await jobs.run_tick(bot_app.sessionmaker, "test", bot_app.jobs)
    assert await bot_app.deliver() == 3


async def test_event_create_remind_change_cancel(bot_app):
    await subscribers(bot_app, 100, 2, Topic.PRESS_CONFERENCE)
    await subscribers(bot_app, 200, 1, Topic.LIVESTREAM_PLENARY)
    p = await press_user(bot_app)
    await p.command("/event_new")
    assert "крок 1 з 5" in (p.last.text or "")
    await p.press("Пресконференція")
    await p.send("   ")
    assert "порожньою" in (p.last.text or "")
    await p.send("Мер про бюджет")
    await p.send(kyiv(-timedelta(minutes=5)))
    assert "уже минув" in (p.last.text or "") and "Крок 3 з 5" in (p.last.text or "")
    await p.send(kyiv(timedelta(days=2)))
    await p.send("youtube")
    assert "не схоже на посилання" in (p.last.text or "")
    await p.send("https://youtube.com/live/abc")
    await p.send("Зала засідань")
    assert "Подію створено" in (p.last.text or "")
    assert "повідомлено: 2" in (p.last.text or "")
    assert "Нагадування: за 24 год і на початку" in (p.last.text or "")

    # The day-ahead reminder: subscribers of press conferences only, once each.
    async with bot_app.sessionmaker() as session:
        await session.execute(update(ScheduledTask).where(
            ScheduledTask.payload["stage"].as_string() == "ahead").values(due_at=utcnow()))
        await session.commit()
    await jobs.run_tick(bot_app.sessionmaker, "test", bot_app.jobs)
    await jobs.run_tick(bot_app.sessionmaker, "test", bot_app.jobs)
    await bot_app.deliver()
    for uid in (100, 101):
        announcement, reminder = bot_app.fake.to_chat(uid)
        assert "Нова подія" in (announcement.text or "")
        assert "Нагадування" in (reminder.text or "")
        assert reminder.button("Дивитися")["url"] == "https://youtube.com/live/abc"
    assert bot_app.fake.to_chat(200) == []

    # Move it: those told hear about the change.
    await p.command("/events")
    await p.press("⚙️ Мер")
    await p.press("Час")
    await p.send("вчора")
    assert "Не вдалося" in (p.last.text or "")
    await p.send(kyiv(timedelta(days=3)))
    assert "Збережено" in (p.last.text or "")
    await bot_app.deliver()
    assert "Зміни" in (bot_app.fake.to_chat(100)[-1].text or "")

    await p.press("Скасувати подію")
    await p.press("Так, скасувати")
    assert "скасовано" in (p.last.text or "").lower()
    await bot_app.deliver()
    assert "Скасовано" in (bot_app.fake.to_chat(101)[-1].text or "")
    assert bot_app.fake.to_chat(200) == []
    async with bot_app.sessionmaker() as session:
        [event] = list(await session.scalars(select(Event)))
        assert event.status == EventStatus.CANCELLED.value


async def test_event_hours_away_promises_only_the_reminders_that_will_come(bot_app):
    await subscribers(bot_app, 100, 1, Topic.PRESS_CONFERENCE)
    p = await press_user(bot_app)
    await p.command("/event_new")
    await p.press("Пресконференція")
    await p.send("Мер про воду")
    await p.send(kyiv(timedelta(hours=3)))
    await p.send("-")
    await p.send("-")
    created = p.last.text or ""
    assert "Подію створено" in created and "за 24 год і на початку" not in created
    assert "лише на початку" in created and "повідомлено: 1" in created
    await bot_app.deliver()
    [announcement] = bot_app.fake.to_chat(100)
    assert "Нова подія" in (announcement.text or "") and "Нагадаємо на початку" in (
        announcement.text or "")


async def test_with_configured_districts_a_typed_district_must_be_one_of_them(bot_app_factory):
    bot_app = await bot_app_factory(districts=["Центральний", "Заводський"])
    ids = await subscribers(bot_app, 100, 3)
    async with bot_app.sessionmaker() as session:
        (await residents.get(session, ids[0])).district = "Центральний"
        await session.commit()
    p = await press_user(bot_app)
    await p.command("/broadcast")
    await p.send("Перекриття руху")
    await p.press("Новини міста")
    await p.send("Центральна")  # not a district of this community
    assert "Такого району немає" in (p.last.text or "")
    assert "Центральний, Заводський" in (p.last.text or "")
    await p.send("  центральний ")
    assert "Кількість: 1" in (p.last.text or "")
