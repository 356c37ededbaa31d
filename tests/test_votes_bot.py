"""The residents' vote screens through the real dispatcher and the fake Bot API: the section
from the main menu, sessions, a decision card, its roll call by vote and by page, search by
words, and the "council votes" notifications toggle (sample: tests/votes_support.py)."""

from __future__ import annotations

from sqlalchemy import select

from services import subscriptions
from services.models import Subscription, Topic
from tests.votes_bot_support import V1, V2, consented, evoting_file, import_council, seat_names
from tests.votes_support import SHELL, run_import


async def test_the_menu_opens_the_votes_section_instead_of_coming_soon(bot_app):
    await import_council(bot_app)
    visitor = bot_app.resident(3001)
    await visitor.command("/menu")
    await visitor.press("Голосування ради")
    home = visitor.last
    assert "Голосування ради" in home.text and "незабаром" not in home.text.lower()
    assert "Останнє опубліковане засідання" in home.text
    labels = [b["text"] for b in home.buttons]
    assert any("Засідання" in t for t in labels) and any("Депутати" in t for t in labels)
    # Nobody to notify before /start: no subscribe button, no staff button.
    assert not any("Повідомляти" in t or "Імпорт" in t for t in labels)
    await visitor.press("Головне меню")
    assert any("Голосування ради" in b["text"] for b in visitor.last.buttons)


async def test_from_a_session_to_the_decision_card_and_its_roll_call(bot_app):
    await import_council(bot_app)
    c = bot_app.resident(3002)
    await c.command("/votes")
    await c.press("Засідання")
    sessions = c.last
    assert "Опубліковані засідання" in sessions.text
    await c.press("04.09.2024")
    assert "Голосувань: 4" in c.last.text
    await c.press(V2)
    card = c.last.text
    assert card.startswith(f"🗳 <b>{V2}</b>") or V2 in card
    assert "Проєкт рішення № 757/2" in card
    assert "Не прийнято" in card
    assert "За 3 · Проти 3 · Утримався 0 · Не голосував 0 · Відсутній 0" in card
    assert "Фракція «Світанок»: 0 / 3 / 0 / 0 / 0" in card
    assert "Фракція «Рух»: 2 / 0 / 0 / 0 / 0" in card
    assert "Позафракційні: 1 / 0 / 0 / 0 / 0" in card
    assert c.last.button("Текст рішення")["url"] == "https://rada.example.ua/docs/757-2.html"

    await c.press("Як голосував кожен депутат")
    roll = c.last
    assert "<b>За</b>: 3" in roll.text
    assert "Шевчук Андрій Іванович (Фракція «Рух»)" in roll.text
    assert "Коваленко" not in roll.text  # she voted against
    await c.press("👎 3")
    against = c.last.text
    assert "<b>Проти</b>: 3" in against and "Коваленко Олена Петрівна" in against
    await c.press("Коваленко О")  # her button opens her card
    assert "Коваленко Олена Петрівна" in c.last.text and "Присутність" in c.last.text


async def test_a_roll_call_of_many_seats_is_paged_and_counts_the_placeholder_seats(bot_app):
    names = seat_names(45)
    votes = [(n, "За") for n in names[:43]] + [(names[43], "Проти"), (". ....", "За"),
                                               (names[44], ".........")]
    async with bot_app.sessionmaker() as session:
        report = await run_import(session, [evoting_file("241105_1.json", "Про тарифи", votes)],
                                  add_unknown_deputies=True)
        assert report.ok
        from services.votes import publishing
        from services.votes.models import VoteSession

        session_id = await session.scalar(select(VoteSession.id))
        await publishing.publish_session(session, SHELL, session_id)
        await session.commit()
    c = bot_app.resident(3003)
    await c.command("/votes")
    await c.press("Засідання")
    await c.press("05.11.2024")
    await c.press("Про тарифи")
    assert "За 44 · Проти 1 · Утримався 0 · Не голосував 0 · Відсутній 1" in c.last.text
    await c.press("Як голосував кожен депутат")
    first = c.last
    assert "<b>За</b>: 44" in first.text
    assert "Місць без імені в списку (без картки): 1" in first.text
    assert first.button("1/3")
    deputy_buttons = [b for b in first.buttons if b["callback_data"].startswith("vp:")]
    assert len(deputy_buttons) == 15  # with the tabs and the pager, Viber's 24 buttons
    await c.press("Далі")
    second = c.last
    assert second.button("2/3")
    assert {b["text"] for b in second.buttons if b["callback_data"].startswith("vp:")}.isdisjoint(
        {b["text"] for b in deputy_buttons})
    await c.press("Далі")
    assert len([b for b in c.last.buttons if b["callback_data"].startswith("vp:")]) == 13
    await c.press("⚪ 1")
    assert "<b>Відсутній</b>: 1" in c.last.text


async def test_search_decisions_by_words_and_bad_input(bot_app):
    await import_council(bot_app)
    c = bot_app.resident(3004)
    await c.command("/votes")
    await c.press("Пошук рішень")
    assert "Введіть слова" in c.last.text
    await c.send("я")
    assert "Напишіть хоча б одне слово" in c.last.text and "Введіть слова" in c.last.text
    await c.sticker()
    assert "текстом" in c.last.text
    await c.send("бюджет громади")
    assert "знайдено рішень: 1" in c.last.text
    await c.press(V2[:20])
    assert "Не прийнято" in c.last.text
    await c.send("бюджет")  # the search is over: this is not a search any more
    assert "знайдено" not in c.last.text
    await c.command("/votes")
    await c.press("Пошук рішень")
    await c.send("голосування про щось інше")
    assert "нічого не знайдено" in c.last.text


async def test_results_pages_read_the_last_query_back(bot_app):
    await import_council(bot_app)
    c = bot_app.resident(3005)
    await c.command("/votes")
    # Before any search the results button asks for words instead.
    await c.callback("vt:results:1")
    assert "Введіть слова" in c.last.text
    await c.send("про")
    assert "знайдено рішень: 4" in c.last.text
    await c.callback("vt:results:0")
    assert "знайдено рішень: 4" in c.last.text


async def test_the_council_votes_notifications_toggle(bot_app):
    rid = await consented(bot_app, 3006)
    await import_council(bot_app)
    c = bot_app.resident(3006)
    await c.command("/votes")
    await c.press("Повідомляти про нові результати")
    assert "Надсилатимемо підсумки" in c.last_callback_answers[0]["text"]
    assert "Не повідомляти" in c.last.button("Не повідомляти")["text"]
    async with bot_app.sessionmaker() as session:
        assert Topic.COUNCIL_VOTES in await subscriptions.topics_of(session, rid)
    await c.press("Не повідомляти")
    async with bot_app.sessionmaker() as session:
        rows = await session.scalars(select(Subscription.topic)
                                     .where(Subscription.resident_id == rid))
        assert list(rows) == []


async def test_without_a_start_following_asks_to_start_first(bot_app):
    await import_council(bot_app)
    c = bot_app.resident(3007)
    await c.command("/votes")
    await c.callback("vt:notify:0")
    assert "/start" in c.last.text


async def test_an_english_resident_reads_english(bot_app):
    await consented(bot_app, 3008, language="en")
    await import_council(bot_app)
    c = bot_app.resident(3008, language_code="en")
    await c.command("/votes")
    assert "Council votes" in c.last.text
    await c.press("Sessions")
    await c.press("04.09.2024")
    await c.press(V1)
    assert "Adopted" in c.last.text and "For 3 · Against 1" in c.last.text
