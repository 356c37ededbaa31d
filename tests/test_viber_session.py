"""The Viber Bot's session: what the Bot API calls our handlers make become on Viber."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

if TYPE_CHECKING:
    from tests.viber_support import ViberApp

pytest_plugins = ("tests.viber_support",)


async def _subscriber(viber: ViberApp) -> tuple[int, str]:
    olena = viber.resident()
    olena.user.subscribed = True
    return await viber.channel.aliases.alias(olena.id), olena.id


async def test_messages_edits_and_keyboards(viber: ViberApp):
    bot = viber.channel.bot
    alias, viber_id = await _subscriber(viber)
    inline = InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Так", callback_data="x:yes"),
        InlineKeyboardButton(text="Ні", callback_data="x:no")]])
    sent = await bot.send_message(alias, "<b>Питання</b>", reply_markup=inline)
    assert sent.chat.id == alias and sent.message_id > 0
    first = viber.fake.to(viber_id)[-1]
    assert first.text == "*Питання*" and [b["ActionBody"] for b in first.buttons] == [
        "cb:x:yes", "cb:x:no"]
    # No buttons given: the person's keyboard stays (as older Telegram messages keep theirs).
    await bot.send_message(alias, "Ще одне")
    assert viber.fake.to(viber_id)[-1].buttons == first.buttons
    # An edit is a new message; without new buttons the old ones are gone.
    await bot.edit_message_text("Відповідь прийнято", chat_id=alias,
                                message_id=sent.message_id)
    edited = viber.fake.to(viber_id)[-1]
    assert edited.text == "Відповідь прийнято" and edited.keyboard is None
    await bot.send_message(alias, "Без кнопок")
    assert viber.fake.to(viber_id)[-1].keyboard is None
    # A new keyboard on an old message: Viber's keyboard-only message.
    await bot.edit_message_reply_markup(chat_id=alias, message_id=sent.message_id,
                                        reply_markup=inline)
    assert viber.fake.to(viber_id)[-1].type is None
    assert viber.fake.to(viber_id)[-1].buttons == first.buttons
    reply = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="📍", request_location=True),
                                           KeyboardButton(text="Пропустити")]])
    await bot.send_message(alias, "Де це?", reply_markup=reply)
    last = viber.fake.to(viber_id)[-1]
    assert [(b["ActionType"], b["ActionBody"]) for b in last.buttons] == [
        ("location-picker", "loc"), ("reply", "Пропустити")]
    assert last.body["min_api_version"] == 3
    await bot.send_message(alias, "Дякуємо", reply_markup=ReplyKeyboardRemove())
    assert viber.fake.to(viber_id)[-1].keyboard is None


async def test_media_and_harmless_calls(viber: ViberApp):
    bot = viber.channel.bot
    alias, viber_id = await _subscriber(viber)
    await bot.send_photo(alias, BufferedInputFile(b"\x89PNG chart", "chart.png"),
                         caption="Результати опитування")
    photo = viber.fake.to(viber_id)[-1]
    assert photo.type == "picture" and photo.body["media"].endswith("/chart.png")
    await bot.send_document(alias, BufferedInputFile(b"a,b\n1,2\n", "Звіт 2026.csv"))
    file = viber.fake.to(viber_id)[-1]
    assert file.type == "file" and file.body["size"] == 8
    assert file.body["file_name"].endswith(".csv")
    await bot.send_location(alias, 48.86, 37.61)
    assert viber.fake.to(viber_id)[-1].body["location"] == {"lat": 48.86, "lon": 37.61}
    count = len(viber.fake.sent)
    assert await bot.delete_message(alias, 1) is True
    assert await bot.set_my_commands([BotCommand(command="help", description="x")]) is True
    assert await bot.send_chat_action(alias, "typing") is True
    assert (await bot.me()).is_bot and len(viber.fake.sent) == count
    with pytest.raises(TelegramBadRequest):
        await bot.get_chat(alias)
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(12345, "a Telegram id is no Viber chat")


async def test_a_callback_answer_with_text_is_a_message(viber: ViberApp):
    from bot.channels.viber.session import callback_query_id

    bot = viber.channel.bot
    alias, viber_id = await _subscriber(viber)
    assert await bot.answer_callback_query(callback_query_id(alias, 1)) is True
    assert viber.fake.to(viber_id) == []
    await bot.answer_callback_query(callback_query_id(alias, 2), text="Готово <3",
                                    show_alert=True)
    assert viber.fake.to(viber_id)[-1].text == "Готово <3"  # plain: toasts parse nothing


async def test_an_unsubscribed_receiver_is_telegrams_forbidden(viber: ViberApp):
    alias, viber_id = await _subscriber(viber)
    viber.fake.users[viber_id].subscribed = False
    with pytest.raises(TelegramForbiddenError):
        await viber.channel.bot.send_message(alias, "x")


def test_the_copied_updates_equal_validated_ones():
    """A typed text and a press are copied from templates: field for field what validating
    the same callback gives, whoever sends it (and the templates stay as they were)."""
    from datetime import UTC, datetime

    from aiogram import Bot

    from bot.channels.viber.inbound import UpdateTemplates, validated_update

    bot = Bot("4242:viber")
    templates = UpdateTemplates(bot)
    when = 1_767_000_000
    for alias, name, language in ((2**53 + 7, "Олена", "uk"), (2**53 + 9, "Taras", "en")):
        moment = datetime.fromtimestamp(when, UTC)
        text = templates.text(11, 501, moment, alias, name, language, "/start petition_3")
        press = templates.press(12, 502, moment, alias, name, language, "pv:a:3:1:1:0:0")
        assert text.model_dump() == validated_update(
            bot, 11, 501, when, alias, name, language, {"text": "/start petition_3"}).model_dump()
        assert press.model_dump() == validated_update(
            bot, 12, 502, when, alias, name, language,
            {"callback": "pv:a:3:1:1:0:0"}).model_dump()
        assert text.bot is bot and press.callback_query is not None
        assert press.callback_query.bot is bot and press.callback_query.message is not None
        assert press.callback_query.message.bot is bot
    again = templates.text(1, 1, datetime.fromtimestamp(1, UTC), 1, "Viber", "uk", "…")
    assert again.message is not None and again.message.chat.id == 1  # templates untouched
