"""Onboarding through the real dispatcher, talking HTTP to the fake Bot API."""

from __future__ import annotations

from sqlalchemy import func, select

from services.models import ChannelIdentity, Resident


async def _count(sessionmaker, model) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_full_onboarding_creates_one_complete_resident(bot_app):
    olena = bot_app.resident(101)
    await olena.send("/start")
    assert "Крок 1 з 6" in olena.last.text
    assert await _count(bot_app.sessionmaker, Resident) == 0  # nothing stored before consent
    await olena.press("English")
    assert "Step 2 of 6" in olena.last.text
    assert await _count(bot_app.sessionmaker, Resident) == 0
    await olena.press("I agree")
    assert "Step 3 of 6" in olena.last.text
    assert olena.last.reply_markup["keyboard"][0][0]["request_contact"] is True
    await olena.contact("+380501112233")
    await olena.send("Kovalenko Olena")
    await olena.send("Shevchenka St")
    await olena.send("12A")
    assert any("profile is saved" in t for t in olena.texts())
    async with bot_app.sessionmaker() as session:
        resident = await session.scalar(select(Resident))
        assert resident is not None and resident.is_complete
        assert (resident.phone, resident.full_name, resident.address, resident.language) == (
            "+380501112233", "Kovalenko Olena", "Shevchenka St, 12A", "en")


async def test_foreign_contact_is_refused_and_asked_again(bot_app):
    taras = bot_app.resident(102)
    await taras.send("/start")
    await taras.press("Українська")
    await taras.press("Погоджуюся")
    replies = await taras.contact("+380509999999", owner_id=555)
    assert "іншої людини" in replies[-1].text
    replies = await taras.contact("+380509999999", owner_id=None)
    assert "іншої людини" in replies[-1].text
    replies = await taras.send("+380509999999")
    assert "кнопку" in replies[-1].text
    async with bot_app.sessionmaker() as session:
        assert (await session.scalar(select(Resident))).phone is None


async def test_bad_names_and_addresses_get_clear_messages(bot_app):
    c = bot_app.resident(103)
    await c.send("/start")
    await c.press("Українська")
    await c.press("Погоджуюся")
    await c.contact("+380501112244")
    replies = await c.sticker()
    assert "не стікер" in replies[-1].text and "прізвище" in replies[-1].text
    replies = await c.send("Я" * 5000)
    assert "Задовге імʼя" in replies[-1].text
    replies = await c.send("Олена")
    assert "щонайменше прізвище та імʼя" in replies[-1].text
    replies = await c.send("Коваленко <b>Олена</b>")
    assert "лише літерами" in replies[-1].text
    await c.send("Коваленко Олена")
    replies = await c.send("  ")
    assert "порожня" in replies[-1].text
    await c.send("вул. Миру")
    replies = await c.send("будинок")
    assert "номер будинку" in replies[-1].text.lower()
    await c.send("7/2")
    assert "Профіль збережено" in " ".join(c.texts())


async def test_same_phone_from_second_account_joins_the_same_resident(bot_app):
    first = bot_app.resident(201)
    await first.onboard(phone="+380671234567")
    # A new resident is offered the popular topics at the end; this one takes them.
    assert "Найпопулярніші теми" in first.last.text
    await first.press("Підписатися на популярні")
    second = bot_app.resident(202)
    await second.send("/start")
    await second.press("Українська")
    await second.press("Погоджуюся")
    await second.contact("+380671234567")
    await second.press("Так, це мій профіль")
    assert await _count(bot_app.sessionmaker, Resident) == 1
    assert await _count(bot_app.sessionmaker, ChannelIdentity) == 2
    # The joined profile is complete and has chosen its topics: straight to the menu.
    assert "Оберіть розділ" in second.last.text


async def test_forget_erases_personal_data(bot_app):
    c = bot_app.resident(301)
    await c.onboard()
    await c.send("/forget")
    await c.press("Так, видалити")
    assert "видалено" in c.last.text
    async with bot_app.sessionmaker() as session:
        resident = await session.scalar(select(Resident))
        assert resident.full_name is None and resident.phone is None and resident.street is None
        assert resident.forgotten_at is not None
    assert await _count(bot_app.sessionmaker, ChannelIdentity) == 0
    await c.send("/start")
    assert "Крок 1 з 6" in c.last.text


MENU_BUTTONS = ("Звернення", "Петиції", "Підписки", "Допомога")


def _has_menu(message) -> bool:
    labels = " ".join(b["text"] for b in message.buttons)
    return all(label in labels for label in MENU_BUTTONS)


async def test_bad_input_before_consent_repeats_the_question_without_the_menu(bot_app):
    c = bot_app.resident(104)
    await c.send("/start")
    [reply] = await c.sticker()
    assert "оберіть мову кнопкою" in reply.text and "Крок 1 з 6" in reply.text
    assert reply.button("Українська") and not _has_menu(reply)
    [reply] = await c.send("привіт")
    assert "оберіть мову кнопкою" in reply.text and not _has_menu(reply)
    await c.press("Українська")
    replies = await c.send("так, згоден")
    assert "кнопкою під текстом згоди" in replies[0].text
    assert "Крок 2 з 6" in replies[-1].text and replies[-1].button("Погоджуюся")
    assert not any(_has_menu(r) for r in replies)
    replies = await c.sticker()
    assert "Крок 2 з 6" in replies[-1].text and not any(_has_menu(r) for r in replies)
    assert await _count(bot_app.sessionmaker, Resident) == 0  # still nothing stored
    await c.press("Погоджуюся")
    [reply] = await c.sticker()
    assert "не стікер" in reply.text and "Підтвердьте" in reply.text
    assert reply.reply_markup["keyboard"][0][0]["request_contact"] is True


async def test_menu_greets_by_first_name():
    from handlers.core import main_menu_text
    from services.i18n import get_translator

    tr = get_translator().for_language("uk")
    for full_name, first in (("Коваленко Олена Петрівна", "Олена"), ("Коваленко Олена", "Олена"),
                             ("Олена", "Олена")):
        assert main_menu_text(tr, Resident(full_name=full_name)) == (
            f"Вітаємо, {first}! Оберіть розділ:")
    assert main_menu_text(tr, Resident(full_name=None)) == "Головне меню. Оберіть розділ:"


async def test_not_now_after_onboarding_shows_the_menu(bot_app):
    c = bot_app.resident(105)
    await c.onboard(name="Коваленко Олена Петрівна")
    assert "Найпопулярніші теми" in c.last.text
    await c.press("Не зараз")
    assert "/subscriptions" in c.last.text and "Вітаємо, Олена!" in c.last.text
    assert _has_menu(c.last)
