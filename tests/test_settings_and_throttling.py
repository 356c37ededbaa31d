"""Settings screens, `/cancel`, `/help`, the menu, stale buttons and throttling."""

from __future__ import annotations

from sqlalchemy import select

from services.models import Resident


async def _resident(app) -> Resident:
    async with app.sessionmaker() as session:
        resident = await session.scalar(select(Resident))
        assert resident is not None
        return resident


async def test_settings_language_quiet_hours_and_address(bot_app):
    c = bot_app.resident(801)
    await c.onboard()
    await c.send("/settings")
    card = c.last
    assert "Профіль і налаштування" in card.text and "Шевченка, 12" in card.text
    await c.press("Мова", card)
    await c.press("English")
    assert "Profile and settings" in c.last.text and c.last.message_id == card.message_id
    assert (await _resident(bot_app)).language == "en"
    await c.press("Quiet hours")
    replies = await c.send("late evening")
    assert "Could not read those hours" in replies[-1].text
    await c.send("22-7")
    assert (await _resident(bot_app)).quiet_from == 22
    await c.press("Edit address")
    await c.send("Myru Ave")
    await c.send("3")
    resident = await _resident(bot_app)
    assert resident.address == "Myru Ave, 3"
    assert "Saved" in " ".join(c.texts()[-3:])


async def test_cancel_leaves_a_dialog_and_nothing_half_written(bot_app):
    c = bot_app.resident(802)
    await c.onboard()
    await c.send("/settings")
    await c.press("Змінити імʼя")
    await c.send("/cancel")
    assert "Скасовано" in c.texts()[-2]
    # The name question is gone: free text now goes to the fallback, not into the profile.
    await c.send("Новенький Іван")
    assert (await _resident(bot_app)).full_name == "Коваленко Олена Петрівна"


async def test_menu_sections_and_way_back(bot_app):
    c = bot_app.resident(803)
    await c.send("/menu")
    menu = c.last
    await c.press("Допомога", menu)
    assert "Що вміє цей бот" in c.last.text and c.last.message_id == menu.message_id
    await c.press("Головне меню")
    assert "Оберіть розділ" in c.last.text


async def test_stale_button_is_answered(bot_app):
    c = bot_app.resident(804)
    await c.send("/menu")
    message = c.last
    message.reply_markup = {"inline_keyboard": [[{"text": "old", "callback_data": "gone:1"}]]}
    await c.press("old", message)
    assert "кнопка вже не діє" in c.last_callback_answers[-1]["text"]


async def test_flooding_resident_is_slowed_others_are_not(bot_app_factory):
    app = await bot_app_factory(throttle_rate=0.5, throttle_burst=3)
    flooder, neighbour = app.resident(901), app.resident(902)
    for _ in range(6):
        await flooder.send("/help")
    texts = flooder.texts()
    assert sum("Зачекайте" in t for t in texts) == 1  # one polite notice, not one per message
    assert sum("Що вміє цей бот" in t for t in texts) == 3
    await neighbour.send("/help")
    assert "Що вміє цей бот" in neighbour.last.text


async def test_every_throttled_press_is_answered(bot_app_factory):
    """A press that is slowed down is still answered, or the resident's spinner keeps turning."""
    app = await bot_app_factory(throttle_rate=0.01, throttle_burst=2)
    c = app.resident(903)
    await c.send("/menu")  # one of the two tokens
    message = c.last
    message.reply_markup = {"inline_keyboard": [[{"text": "old", "callback_data": "gone:1"}]]}
    answers = []
    for _ in range(4):
        await c.press("old", message)
        answers += c.last_callback_answers
    assert len(answers) == 4, "every press answered exactly once"
    assert "кнопка вже не діє" in answers[0]["text"]
    assert "Зачекайте" in answers[1]["text"]
    assert not answers[2].get("text") and not answers[3].get("text")
