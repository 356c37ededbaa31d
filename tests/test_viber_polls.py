"""Polls for residents on Viber through the real dispatcher: the open list and the card,
answering and changing the answer, multiple choice, a poll of another district and a closed
poll refused politely, the results and their chart (a picture by a link to the media store),
and one resident on both channels (answered on Telegram, Viber shows the answer)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from sqlalchemy import func, select

from services.db import utcnow
from services.polls import manage
from services.polls.models import PollAnswer
from tests.polls_support import (
    DISTRICT_NAMES,
    MODERATOR,
    bot_poll,
    png_size,
    poll_row,
)
from tests.viber_residents import onboarded, one_resident_on_both

if TYPE_CHECKING:
    from tests.fakes.viber_api import ViberClientSim
    from tests.viber_support import ViberApp, ViberFactory

pytest_plugins = ("tests.viber_support",)

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Чи потрібен сквер на вулиці Миру?"


async def _answers(viber: ViberApp, poll_id: int) -> list[tuple[int, str]]:
    async with viber.telegram.sessionmaker() as session:
        rows = await session.execute(select(PollAnswer.resident_id, PollAnswer.channel)
                                     .where(PollAnswer.poll_id == poll_id))
        return [(int(r), str(c)) for r, c in rows.all()]


def _after(sim: ViberClientSim, before: int) -> list[str]:
    return [s.text for s in sim.sent[before:]]


async def _close(viber: ViberApp, poll_id: int) -> None:
    async with viber.telegram.sessionmaker() as session:
        await manage.close_early(session, MODERATOR, poll_id)
        await session.commit()


async def test_the_list_the_card_an_answer_and_a_change_on_viber(viber: ViberApp):
    now = utcnow()
    for i in range(6):
        await bot_poll(viber.telegram, now, question=f"Відкрите опитування {i}",
                       closes_at=now + timedelta(days=i + 2))
    poll_id = await bot_poll(viber.telegram, now, closes_at=now + timedelta(days=1))
    olena = await onboarded(viber)
    await olena.send("/menu")
    await olena.press("Опитування")
    assert "Опитування громади" in olena.last.text and "Сторінка 1 з 2" in olena.last.text
    assert "<b>" not in olena.last.text  # Viber's own markers, not HTML
    assert len(olena.shown_keyboard()) <= 24
    await olena.press("Далі")
    assert "Сторінка 2 з 2" in olena.last.text
    await olena.press("Назад")
    await olena.press(QUESTION[:20])
    card = olena.last.text
    assert QUESTION in card and "1. Так" in card and "Оберіть один варіант" in card

    before = len(olena.sent)
    await olena.press("1. Так")
    assert "Дякуємо! Вашу відповідь враховано." in _after(olena, before)
    assert any("Ваша відповідь: 1. Так" in t for t in _after(olena, before))
    # The toast arrives as a message; the card's buttons stay under it.
    assert olena.button("Так")["Text"] == "✅ 1. Так"
    before = len(olena.sent)
    await olena.press("1. Так")  # the double tap
    assert "Саме так ви вже відповіли." in _after(olena, before)
    await olena.press("2. Ні")
    assert olena.last.text == "Вашу відповідь змінено."
    assert (await poll_row(viber.telegram, poll_id)).answer_count == 1
    resident = await viber.resident_of(olena.id)
    assert resident is not None
    # The answer is recorded as given on Viber.
    assert await _answers(viber, poll_id) == [(resident.id, "viber")]
    await olena.press("До списку")
    assert "Опитування громади" in olena.last.text
    await olena.send(f"/start poll_{poll_id}")  # the announcement's link, typed or followed
    assert "Ваша відповідь: 2. Ні" in olena.last.text


async def test_multiple_choice_toggles_and_confirms_on_viber(viber: ViberApp):
    poll_id = await bot_poll(viber.telegram,
                             options=("Лавки", "Ліхтарі", "Дитячий майданчик", "Фонтан"),
                             multiple=True, max_choices=2)
    taras = await onboarded(viber, "TTTTTTTTTTTTTTTTTTTTTT==", "Шевчук Тарас Іванович")
    await taras.send(f"/start poll_{poll_id}")
    assert "до 2 варіантів" in taras.last.text
    assert not any("Відповісти" in label for label in taras.labels())
    await taras.press("1. Лавки")
    await taras.press("3. Дитячий")
    assert taras.button("Лавки")["Text"].startswith("☑️")
    assert taras.button("Ліхтарі")["Text"].startswith("⬜")
    await taras.press("4. Фонтан")
    assert taras.last.text == "Можна обрати не більше 2 варіантів."
    # The selection survives the refusal: the keyboard is still the card's.
    assert taras.button("Лавки")["Text"].startswith("☑️")
    async with viber.telegram.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(PollAnswer)) == 0
    await taras.press("Відповісти (обрано: 2)")
    assert "Дякуємо! Вашу відповідь враховано." in taras.texts()[-2:]
    assert "Ваша відповідь: 1. Лавки; 3. Дитячий майданчик" in taras.texts()[-2]
    await taras.press("3. Дитячий")
    await taras.press("2. Ліхтарі")
    await taras.press("Відповісти (обрано: 2)")
    assert taras.last.text == "Вашу відповідь змінено."
    assert "Ваша відповідь: 1. Лавки; 2. Ліхтарі" in taras.texts()[-2]
    assert (await poll_row(viber.telegram, poll_id)).answer_count == 1


async def test_another_districts_poll_and_a_closed_poll_are_refused_politely(
        viber_factory: ViberFactory, bot_app_factory: Any, tmp_path: Path):
    telegram = await bot_app_factory(
        media_dir=str(tmp_path / "media"), districts=DISTRICT_NAMES,
        districts_table=str(ROOT / "docs" / "districts.sample.csv"))
    viber = await viber_factory(telegram)
    south = await bot_poll(telegram, question="Сквер на півдні", districts=("Південний",))
    north = await bot_poll(telegram, question="Сквер на півночі", districts=("Північний",))
    # вул. Шевченка 12: the even side up to 50 is Північний (from the council's table).
    olena = await onboarded(viber)
    resident = await viber.resident_of(olena.id)
    assert resident is not None and resident.district == "Північний"

    await olena.send(f"/start poll_{south}")
    card = olena.last.text
    assert "Сквер на півдні" in card and "для мешканців районів: Південний" in card
    assert not any(label.startswith("1. ") for label in olena.labels())
    assert olena.button("Вказати мій район")
    # An answer button of the other district's poll (forged or from another card) is refused.
    await olena.send(f"/start poll_{north}")
    answer_south = olena.button("1. Так")["ActionBody"].replace(f":{north}:", f":{south}:")
    await olena.message({"type": "text", "text": answer_south}, silent=True)
    assert "інших районів" in olena.last.text
    assert await _answers(viber, south) == []

    await olena.press("1. Так")  # her own district's poll
    assert "Дякуємо! Вашу відповідь враховано." in olena.texts()[-2:]
    stale = olena.button("2. Ні")["ActionBody"]
    await _close(viber, north)
    before = len(olena.sent)
    await olena.message({"type": "text", "text": stale}, silent=True)
    texts = _after(olena, before)
    assert "Опитування вже закрите." in texts
    assert any("Результати опитування" in t and "🏆" in t for t in texts)
    assert [c for _, c in await _answers(viber, north)] == ["viber"]
    assert olena.button("Діаграма")


async def test_the_results_chart_reaches_viber_by_a_link_to_one_stored_copy(
        viber: ViberApp):
    poll_id = await bot_poll(viber.telegram)
    on_telegram = viber.telegram.resident(31)
    await on_telegram.onboard()
    await on_telegram.send(f"/start poll_{poll_id}")
    await on_telegram.press("1. Так")
    olena = await onboarded(viber)
    await olena.send(f"/start poll_{poll_id}")
    await olena.press("2. Ні")
    await _close(viber, poll_id)
    # Telegram's resident opens the chart first: Telegram gets it uploaded, and remembers it.
    await on_telegram.send(f"/start poll_{poll_id}")
    await on_telegram.press("Діаграма")
    assert on_telegram.last.method == "sendPhoto"

    await olena.send(f"/start poll_{poll_id}")
    assert "1 · 50%" in olena.last.text
    await olena.press("Діаграма")
    picture = olena.last
    assert picture.type == "picture", [s.type for s in olena.sent[-3:]]
    assert "Результати опитування" in picture.text and picture.body["media"].endswith(".png")
    assert any("До опитування" in label for label in olena.labels())
    async with aiohttp.ClientSession() as http, http.get(picture.body["media"]) as response:
        assert response.status == 200
        assert png_size(await response.read())[0] == 1080
    # A second look (or another resident) finds the one copy in the store.
    await olena.press("До опитування")
    await olena.press("Діаграма")
    assert olena.last.type == "picture"
    assert olena.last.body["media"].rsplit("/", 2)[-2:] == picture.body["media"].rsplit(
        "/", 2)[-2:]
    stored = [p for p in viber.media_dir.rglob("*.png")]
    assert len(stored) == 1, stored


async def test_answered_on_telegram_viber_shows_the_answer(viber: ViberApp):
    on_telegram, on_viber, resident_id = await one_resident_on_both(viber)
    poll_id = await bot_poll(viber.telegram)
    await on_telegram.send(f"/start poll_{poll_id}")
    await on_telegram.press("1. Так")
    assert on_telegram.last_callback_answers[-1]["text"] == "Дякуємо! Вашу відповідь враховано."

    await on_viber.send(f"/start poll_{poll_id}")
    assert "Ваша відповідь: 1. Так" in on_viber.last.text
    assert on_viber.button("Так")["Text"] == "✅ 1. Так"
    before = len(on_viber.sent)
    await on_viber.press("1. Так")
    assert "Саме так ви вже відповіли." in _after(on_viber, before)
    assert await _answers(viber, poll_id) == [(resident_id, "telegram")]
    assert (await poll_row(viber.telegram, poll_id)).answer_count == 1
