"""Dispatcher tests: /subscriptions, the onboarding offer, /events and "remind me"."""

from __future__ import annotations

import time
from datetime import timedelta

from aiogram.types import Message

from handlers.subscriptions import offer_topics
from services import events, residents, subscriptions
from services.db import utcnow
from services.i18n import get_translator
from services.models import Role, Topic
from services.models.broadcasts import EventKind


async def consent(bot_app, user_id: int, language: str = "uk") -> int:
    async with bot_app.sessionmaker() as session:
        r = await residents.give_consent(session, channel="telegram", external_id=str(user_id),
                                         chat_id=str(user_id), language=language)
        await session.commit()
        return r.id


async def topics(bot_app, resident_id: int) -> set[Topic]:
    async with bot_app.sessionmaker() as session:
        return await subscriptions.topics_of(session, resident_id)


async def test_toggle_topics_in_place(bot_app):
    rid = await consent(bot_app, 501)
    c = bot_app.resident(501)
    await c.command("/subscriptions")
    screen = c.last
    assert "Підписки" in (screen.text or "")
    assert len([b for b in screen.buttons if b["text"].startswith("▫️")]) == 7

    await c.press("Новини міста")
    assert c.last.message_id == screen.message_id  # edited in place, no new message
    assert c.last.button("Новини міста")["text"].startswith("✅")
    assert c.last_callback_answers[0]["text"] == "Підписано: Новини міста"
    assert await topics(bot_app, rid) == {Topic.CITY_NEWS}

    await c.press("Голосування депутатів")
    await c.press("Новини міста")
    assert c.last_callback_answers[0]["text"] == "Відписано: Новини міста"
    assert await topics(bot_app, rid) == {Topic.COUNCIL_VOTES}
    assert len(c.sent) == 1


async def test_subscriptions_from_the_menu_and_back(bot_app):
    await consent(bot_app, 502, "en")
    c = bot_app.resident(502, language_code="en")
    await c.command("/menu")
    await c.press("Subscriptions")
    assert "Subscriptions" in (c.last.text or "")
    await c.press("Main menu")
    assert "Subscriptions" in [b["text"].split(" ", 1)[-1] for b in c.last.buttons]


async def test_stranger_is_asked_to_start_first(bot_app):
    c = bot_app.resident(503)
    await c.command("/subscriptions")
    assert "/start" in (c.last.text or "")


async def test_offer_popular_topics(bot_app):
    rid = await consent(bot_app, 504)
    c = bot_app.resident(504)
    message = Message.model_validate(
        {"message_id": 1, "date": int(time.time()),
         "chat": {"id": 504, "type": "private"}, "from": c.user, "text": "done"},
        context={"bot": bot_app.bot},
    )
    async with bot_app.sessionmaker() as session:
        resident = await residents.get(session, rid)
        await offer_topics(message, resident, get_translator().for_language("uk"))
    assert "популярні" in (c.last.text or "").lower() or "Найпопулярніші" in (c.last.text or "")
    await c.press("Підписатися на популярні")
    assert await topics(bot_app, rid) == {Topic.LIVESTREAM_PLENARY, Topic.PETITION_RESULTS,
                                          Topic.CITY_NEWS}
    assert "/subscriptions" in (c.last.text or "")


async def test_events_list_and_remind_me(bot_app):
    rid = await consent(bot_app, 505)
    async with bot_app.sessionmaker() as session:
        event = await events.create_event(
            session, actor="test", kind=EventKind.PRESS_CONFERENCE, title="Мер <про> бюджет",
            starts_at=utcnow() + timedelta(days=3), stream_url="https://youtube.com/live/x",
            place="Зала ради")
        for n in range(6):  # a second page
            await events.create_event(
                session, actor="test", kind=EventKind.PLENARY, title=f"Сесія {n}",
                starts_at=utcnow() + timedelta(days=5 + n), stream_url=None, place=None)
        await session.commit()
        event_id = event.id
    c = bot_app.resident(505)
    await c.command("/events")
    first = c.last
    assert "Мер &lt;про&gt; бюджет" in (first.text or "")
    assert "сторінка 1 з 2" in (first.text or "")
    assert not any("⚙️" in b["text"] for b in first.buttons)  # residents cannot manage
    await c.press("Далі")
    assert c.last.message_id == first.message_id
    assert "Сесія 5" in (c.last.text or "")
    await c.press("Назад")
    # Buttons and alerts are plain text: the title reads as typed, not as HTML entities.
    assert any(b["text"].endswith("Мер <про> бюджет") for b in c.last.buttons)
    await c.press("Нагадати: Мер")
    assert c.last_callback_answers[0]["text"].startswith("Нагадаю")
    assert c.last_callback_answers[0]["text"] == "Нагадаю про «Мер <про> бюджет»."
    await c.press("Нагадати: Мер")
    assert "вже" in c.last_callback_answers[0]["text"]
    async with bot_app.sessionmaker() as session:
        assert await events.has_reminder(session, event_id, rid)
    # The press service's manage button shows the title as typed too.
    await bot_app.make_staff(505, Role.PRESS)
    await c.command("/events")
    assert any("⚙️" in b["text"] and b["text"].endswith("Мер <про> бюджет")
               for b in c.last.buttons)


async def test_no_events_yet(bot_app):
    c = bot_app.resident(506)
    await c.command("/events")
    assert "поки немає" in (c.last.text or "")


async def test_blocking_the_bot_removes_from_the_audience_and_unblocking_restores(bot_app):
    from services import broadcasts

    rid = await consent(bot_app, 507)
    async with bot_app.sessionmaker() as session:
        await subscriptions.subscribe(session, rid, [Topic.CITY_NEWS])
        await session.commit()
    audience = broadcasts.Audience(Topic.CITY_NEWS)
    c = bot_app.resident(507)

    async def reachable() -> int:
        async with bot_app.sessionmaker() as session:
            return await broadcasts.count_audience(session, audience)

    assert await reachable() == 1
    await c.block_bot()
    assert await reachable() == 0
    await c.block_bot(blocked=False)
    assert await reachable() == 1
