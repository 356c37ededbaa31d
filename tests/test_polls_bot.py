"""Polls for residents through the real dispatcher, talking HTTP to the fake Bot API: the
lists, the card, answering once and changing it, multiple choice, stale and closed buttons,
the deep link, onboarding and back, the district question, and the results picture."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from services.db import utcnow
from services.models import Resident
from services.polls import manage
from services.polls.models import PollAnswer, PollChart
from tests.polls_support import (
    DISTRICT_NAMES,
    MODERATOR,
    RULES,
    bot_poll,
    choices_of,
    png_size,
    poll_row,
    uploaded_photo,
)

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Чи потрібен сквер на вулиці Миру?"


async def onboarded(bot_app, user_id: int, **kwargs):
    client = bot_app.resident(user_id)
    await client.onboard(**kwargs)
    return client


async def resident_of(bot_app, user_id: int) -> Resident:
    from services import residents

    async with bot_app.sessionmaker() as session:
        resident = await residents.by_identity(session, "telegram", str(user_id))
        assert resident is not None
        return resident


async def answers_count(bot_app, poll_id: int) -> int:
    async with bot_app.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(PollAnswer)
                                    .where(PollAnswer.poll_id == poll_id))


def alerts(client) -> list[str]:
    return [a.get("text") or "" for a in client.last_callback_answers]


# ---- lists and the card -------------------------------------------------------------------


async def test_the_section_lists_open_and_closed_polls_with_the_pager(bot_app):
    now = utcnow()
    for i in range(7):
        await bot_poll(bot_app, now, question=f"Відкрите опитування {i}",
                       closes_at=now + timedelta(days=i + 1))
    closed = await bot_poll(bot_app, now - timedelta(days=10), question="Старе опитування",
                            closes_at=now - timedelta(days=3))
    olena = await onboarded(bot_app, 11)
    await olena.send("/menu")
    await olena.press("Опитування")
    assert "Опитування громади" in olena.last.text and "Сторінка 1 з 2" in olena.last.text
    listed = [b["text"] for b in olena.last.buttons if b["text"].startswith("🗳 ")]
    # Closing soonest first, five a page.
    assert listed == [f"🗳 Відкрите опитування {i}" for i in range(5)]
    await olena.press("Далі")
    assert "Сторінка 2 з 2" in olena.last.text and "6. <b>Відкрите опитування 5" in olena.last.text
    await olena.press("Завершені опитування")
    assert "Старе опитування" in olena.last.text and "Відповіли 0 осіб" in olena.last.text
    await olena.press("Старе опитування")
    assert "Закрито" in olena.last.text and "Ніхто не відповів" in olena.last.text
    assert not any(b["text"].startswith("1. ") for b in olena.last.buttons)  # no answering
    await olena.press("До списку")
    assert "Завершені опитування" in olena.last.text
    await olena.press("Відкриті опитування")
    await olena.press("Відкрите опитування 0")
    card = olena.last.text
    assert "Відкрите опитування 0" in card and "1. Так" in card and "Оберіть один варіант" in card
    assert "Для всієї громади" in card and "після закриття" in card
    await olena.press("Меню")
    assert "Опитування" in str(olena.last.buttons)
    assert closed and all(a.get("callback_query_id") for a in bot_app.fake.callback_answers)
    await olena.send("/polls")
    assert "Опитування громади" in olena.last.text


async def test_one_answer_a_double_tap_and_a_changed_answer(bot_app):
    poll_id = await bot_poll(bot_app)
    olena = await onboarded(bot_app, 12)
    await olena.send(f"/start poll_{poll_id}")
    assert QUESTION in olena.last.text
    await olena.press("1. Так")
    assert alerts(olena) == ["Дякуємо! Вашу відповідь враховано."]
    assert "Ваша відповідь: 1. Так" in olena.last.text and "Змінити її можна" in olena.last.text
    assert olena.last.button("Так")["text"] == "✅ 1. Так"
    await olena.press("1. Так")  # the double tap
    assert alerts(olena) == ["Саме так ви вже відповіли."]
    assert (await poll_row(bot_app, poll_id)).answer_count == 1
    await olena.press("2. Ні")
    assert alerts(olena) == ["Вашу відповідь змінено."]
    assert await choices_of(bot_app, poll_id, 12) == ["Ні"]
    assert (await poll_row(bot_app, poll_id)).answer_count == 1
    assert await answers_count(bot_app, poll_id) == 1


async def test_multiple_choice_toggles_then_confirms_within_the_maximum(bot_app):
    poll_id = await bot_poll(bot_app, options=("Лавки", "Ліхтарі", "Дитячий майданчик", "Фонтан"),
                             multiple=True, max_choices=2)
    taras = await onboarded(bot_app, 13)
    await taras.send(f"/start poll_{poll_id}")
    assert "до 2 варіантів" in taras.last.text
    assert not any("Відповісти" in b["text"] for b in taras.last.buttons)
    await taras.press("1. Лавки")
    await taras.press("3. Дитячий")
    assert taras.last.button("Лавки")["text"].startswith("☑️")
    assert taras.last.button("Ліхтарі")["text"].startswith("⬜")
    await taras.press("4. Фонтан")
    assert alerts(taras) == ["Можна обрати не більше 2 варіантів."]
    assert await answers_count(bot_app, poll_id) == 0  # toggling writes nothing
    await taras.press("Відповісти (обрано: 2)")
    assert alerts(taras) == ["Дякуємо! Вашу відповідь враховано."]
    assert await choices_of(bot_app, poll_id, 13) == ["Лавки", "Дитячий майданчик"]
    # Change it: one out, another in, confirm.
    await taras.press("3. Дитячий")
    await taras.press("2. Ліхтарі")
    await taras.press("Відповісти (обрано: 2)")
    assert alerts(taras) == ["Вашу відповідь змінено."]
    assert await choices_of(bot_app, poll_id, 13) == ["Лавки", "Ліхтарі"]
    assert (await poll_row(bot_app, poll_id)).answer_count == 1


async def test_a_card_edited_meanwhile_and_a_closed_poll_refuse_old_buttons(bot_app):
    poll_id = await bot_poll(bot_app)
    olena = await onboarded(bot_app, 14)
    await olena.send(f"/start poll_{poll_id}")
    old_card = olena.last
    async with bot_app.sessionmaker() as session:
        poll = await manage.get_poll(session, poll_id)
        await manage.edit_texts(session, RULES, MODERATOR, poll_id, poll.version,
                                options=["Так, звісно", "Ні"])
        await session.commit()
    await olena.press("1. Так", old_card)
    assert "щойно змінили" in alerts(olena)[0]
    assert await answers_count(bot_app, poll_id) == 0
    assert "1. Так, звісно" in olena.last.text  # the real card instead
    await olena.press("1. Так, звісно")
    assert alerts(olena) == ["Дякуємо! Вашу відповідь враховано."]
    async with bot_app.sessionmaker() as session:
        await manage.close_early(session, MODERATOR, poll_id)
        await session.commit()
    before = await choices_of(bot_app, poll_id, 14)
    await olena.press("2. Ні", old_card)
    assert alerts(olena) == ["Опитування вже закрите."]
    assert await choices_of(bot_app, poll_id, 14) == before
    assert "Результати опитування" in olena.last.text and "🏆" in olena.last.text


async def test_results_while_open_are_shown_on_the_card_when_the_poll_says_so(bot_app):
    live = await bot_poll(bot_app, question="Відкриті результати", results_while_open=True)
    hidden = await bot_poll(bot_app, question="Закриті результати")
    olena = await onboarded(bot_app, 15)
    for poll_id in (live, hidden):
        await olena.send(f"/start poll_{poll_id}")
        await olena.press("1. Так")
    await olena.send(f"/start poll_{live}")
    assert "Поточні результати" in olena.last.text and "1 · 100%" in olena.last.text
    await olena.send(f"/start poll_{hidden}")
    assert "Поточні результати" not in olena.last.text and "100%" not in olena.last.text
    from handlers.polls.callbacks import CardAction, PollCB

    await olena.callback(PollCB(action=CardAction.CHART, poll_id=live).pack())
    assert alerts(olena) == ["Діаграма з’явиться, коли опитування закриється."]


# ---- who may answer -----------------------------------------------------------------------


async def test_a_newcomer_follows_the_link_is_onboarded_and_comes_back_to_the_poll(bot_app):
    poll_id = await bot_poll(bot_app)
    newcomer = bot_app.resident(16)
    await newcomer.send(f"/start poll_{poll_id}")
    assert QUESTION in newcomer.last.text and "підтвердженим номером" in newcomer.last.text
    await newcomer.press("1. Так")
    assert any("підтверджений профіль" in t for t in newcomer.texts())
    assert await answers_count(bot_app, poll_id) == 0
    await newcomer.press("Погоджуюся")  # the language came with Telegram's language code
    await newcomer.contact("+380501234016")
    await newcomer.send("Шевчук Марія")
    await newcomer.send("вул. Миру")
    await newcomer.send("7")
    assert "Готово" in newcomer.texts()[-2] and QUESTION in newcomer.last.text
    await newcomer.press("1. Так")
    assert alerts(newcomer) == ["Дякуємо! Вашу відповідь враховано."]
    assert await answers_count(bot_app, poll_id) == 1


async def test_links_to_polls_that_do_not_exist_or_are_drafts(bot_app):
    async with bot_app.sessionmaker() as session:
        from tests.polls_support import DISTRICTS, make_moderator, spec

        await make_moderator(session)
        draft = await manage.create_draft(session, RULES, DISTRICTS, MODERATOR,
                                          spec(question="Чернетка, якої ніхто не бачить"))
        await session.commit()
    visitor = bot_app.resident(17)
    for payload in (f"poll_{draft.id}", "poll_999999", "poll_x1", f"poll_{2**64}"):
        await visitor.send(f"/start {payload}")
        assert visitor.last.text == "Опитування не знайдено.", payload
    assert "Чернетка" not in "".join(visitor.texts())


async def test_a_restricted_poll_asks_the_district_once_and_remembers_it(bot_app_factory):
    app = await bot_app_factory(districts=DISTRICT_NAMES)
    poll_id = await bot_poll(app, districts=("Північний",))
    inside = await onboarded(app, 21)
    await inside.send(f"/start poll_{poll_id}")
    assert "У якому районі ви живете" in inside.last.text and "Північний" in inside.last.text
    await inside.press("Північний")
    assert alerts(inside) == ["Збережено."]
    resident = await resident_of(app, 21)
    assert resident.district == "Північний" and resident.district_asked_at is not None
    await inside.press("1. Так")
    assert alerts(inside) == ["Дякуємо! Вашу відповідь враховано."]

    unsure = await onboarded(app, 22)
    await unsure.send(f"/start poll_{poll_id}")
    await unsure.press("Не знаю")
    assert "район нам невідомий" in unsure.last.text
    await unsure.send(f"/start poll_{poll_id}")  # asked once: not again
    assert "У якому районі" not in unsure.last.text and "невідомий" in unsure.last.text
    assert not any(b["text"].startswith("1. ") for b in unsure.last.buttons)

    outside = await onboarded(app, 23)
    await outside.send(f"/start poll_{poll_id}")
    await outside.press("Південний")
    assert "для мешканців районів: Північний" in outside.last.text
    # Forged from the card: an answer of someone outside the poll's districts.
    from handlers.polls.callbacks import CardAction, PollCB

    await outside.callback(PollCB(action=CardAction.ANSWER, poll_id=poll_id, version=1,
                                  mask=1).pack())
    assert "інших районів" in alerts(outside)[0]
    # Moving house: the district can be changed from the card.
    await outside.press("Вказати мій район")
    await outside.press("Північний")
    await outside.press("2. Ні")
    assert await choices_of(app, poll_id, 23) == ["Ні"]
    assert await answers_count(app, poll_id) == 2


async def test_the_district_comes_from_the_address_when_the_table_covers_it(bot_app_factory):
    app = await bot_app_factory(districts=DISTRICT_NAMES,
                                districts_table=str(ROOT / "docs" / "districts.sample.csv"))
    poll_id = await bot_poll(app, districts=("Північний",))
    # вул. Шевченка 12: the even side up to 50 is Північний.
    olena = await onboarded(app, 24, street="вул. Шевченка", building="12")
    await olena.send(f"/start poll_{poll_id}")
    assert "У якому районі" not in olena.last.text and "1. Так" in olena.last.text
    assert (await resident_of(app, 24)).district == "Північний"
    await olena.press("1. Так")
    assert await answers_count(app, poll_id) == 1


# ---- results ------------------------------------------------------------------------------


async def test_the_results_chart_is_drawn_once_and_uploaded_once(bot_app):
    poll_id = await bot_poll(bot_app)
    voters = [await onboarded(bot_app, 30 + k) for k in range(3)]
    for voter, option in zip(voters, ("1. Так", "1. Так", "2. Ні"), strict=True):
        await voter.send(f"/start poll_{poll_id}")
        await voter.press(option)
    async with bot_app.sessionmaker() as session:
        await manage.close_early(session, MODERATOR, poll_id)
        await session.commit()
    first, second = voters[0], voters[1]
    await first.send(f"/start poll_{poll_id}")
    assert "2 · 67%" in first.last.text and "1 · 33%" in first.last.text
    await first.press("Діаграма")
    photo = first.last
    assert photo.method == "sendPhoto" and "Результати опитування" in photo.text
    upload = uploaded_photo(photo.params)
    assert upload is not None
    width, height = png_size(upload["content"])
    assert width == 1080 and 400 <= height <= 2000 and 10_000 < upload["size"] < 400_000
    assert photo.button("До опитування")
    await second.send(f"/start poll_{poll_id}")
    await second.press("Діаграма")
    assert second.last.method == "sendPhoto" and second.last.params["photo"] == "sent-photo"
    async with bot_app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(PollChart)) == 1
        chart = await session.get(PollChart, poll_id)
        assert chart.file_ids == {"telegram": "sent-photo"}


async def test_the_district_can_be_set_from_outside_a_poll(bot_app_factory):
    """The hook a /settings button uses: the same question, remembered on the profile."""
    from handlers.polls import DISTRICT_SETTING

    app = await bot_app_factory(districts=DISTRICT_NAMES)
    olena = await onboarded(app, 25)
    await olena.callback(DISTRICT_SETTING)
    assert "У якому районі ви живете" in olena.last.text
    assert "Головне меню" in str(olena.last.buttons) and "До опитування" not in str(
        olena.last.buttons)
    await olena.press("Центральний")
    assert "Ваш район: Центральний" in olena.last.text
    assert (await resident_of(app, 25)).district == "Центральний"
    await olena.callback(DISTRICT_SETTING)
    assert olena.last.button("Центральний")["text"] == "📍 Центральний"  # the current one
    await olena.press("Не знаю")
    assert "район не вказано" in olena.last.text
    assert (await resident_of(app, 25)).district is None
    # Without districts configured there is nothing to choose.
    plain = await bot_app_factory()
    other = await onboarded(plain, 26)
    await other.callback(DISTRICT_SETTING)
    assert other.last_callback_answers[-1]["text"] == "У громаді не налаштовано районів."


async def test_thirty_districts_page_on_the_poll_question_within_vibers_24_buttons(
        bot_app_factory):
    names = ",".join([*(f"Округ {k}" for k in range(1, 30)), "Північний"])
    app = await bot_app_factory(districts=names)
    poll_id = await bot_poll(app, districts=("Північний",))  # the 30th: on the second page
    olena = await onboarded(app, 31)
    await olena.press("Не знаю")  # onboarding's own district step: not known then
    async with app.sessionmaker() as session:  # as if never asked: the poll asks
        resident = await session.get(Resident, (await resident_of(app, 31)).id)
        resident.district_asked_at = None
        await session.commit()
    await olena.send(f"/start poll_{poll_id}")
    assert "У якому районі" in olena.last.text and olena.last.button("Округ 16")
    assert olena.last.button("1/2") and len(olena.last.buttons) <= 24
    await olena.press("Далі")
    assert olena.last.button("Північний") and olena.last.button("2/2")
    assert len(olena.last.buttons) <= 24
    # The card would ask again: the way back from any page of the question is the list.
    assert olena.last.button("До списку")
    await olena.press("Північний")
    assert alerts(olena) == ["Збережено."]
    await olena.press("1. Так")
    assert alerts(olena) == ["Дякуємо! Вашу відповідь враховано."]
