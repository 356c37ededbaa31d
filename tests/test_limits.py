"""No reply exceeds Telegram's limits: typed text echoed back is clipped where it is shown, and
every request the bot makes is kept within 4,096 / 1,024 / 200 characters, markup intact."""

from __future__ import annotations

import gc
import weakref

from aiogram.methods import Response
from aiogram.types import BufferedInputFile, Message

from bot.channels.telegram.limits import clip_html, clip_text, visible_length
from services.i18n import echo
from tests.fakes.telegram_api import telegram_length


async def test_a_search_of_thousands_of_characters_gets_a_short_answer(bot_app):
    c = bot_app.resident(1301, language_code="en")
    await c.send("/menu")
    await c.press("Petitions")
    await c.press("Search")
    query = "дорога " + "ремонт" * 1000
    replies = await c.send(query)
    assert replies, "the resident got an answer"
    text = replies[-1].text or ""
    assert visible_length(text) <= 4096
    assert "Search" in text and "дорога ремонт" in text and "…" in text
    assert query not in text
    assert not bot_app.errors.records


async def test_every_request_is_kept_within_the_limits(bot_app):
    bot, chat = bot_app.bot, 1302
    long_html = "<b>Заголовок</b>\n" + "<i>слово &amp; ще</i> " * 600 + "😀" * 500
    sent = await bot.send_message(chat, long_html)
    [record] = bot_app.fake.to_chat(chat)
    length, problem = telegram_length(record.text or "", "HTML")
    assert problem is None and 4000 < length <= 4096 and record.text.endswith("…</i>")
    assert record.text.startswith("<b>Заголовок</b>") and "…" in record.text

    await bot.edit_message_text(long_html + "!", chat_id=chat, message_id=sent.message_id)
    length, problem = telegram_length(bot_app.fake.to_chat(chat)[-1].text or "", "HTML")
    assert problem is None and length <= 4096

    await bot.send_photo(chat, BufferedInputFile(b"png", "a.png"), caption=long_html)
    caption = bot_app.fake.to_chat(chat)[-1].text or ""
    length, problem = telegram_length(caption, "HTML")
    assert problem is None and length <= 1024

    await bot.send_message(chat, "x" * 5000, parse_mode=None)
    assert len(bot_app.fake.to_chat(chat)[-1].text or "") == 4096

    await bot.answer_callback_query("press-1", text="Дуже довге пояснення. " * 30,
                                    show_alert=True)
    answer = bot_app.fake.callback_answers[-1]
    assert len(answer["text"]) <= 200 and answer["text"].endswith("…")


async def test_texts_at_the_limit_in_utf16_units_are_kept_whole(bot_app):
    bot, chat = bot_app.bot, 1303
    await bot.send_message(chat, "😀" * 2048, parse_mode=None)  # 4,096 UTF-16 units: fits
    assert bot_app.fake.to_chat(chat)[-1].text == "😀" * 2048
    await bot.send_message(chat, "😀" * 2049, parse_mode=None)
    kept = bot_app.fake.to_chat(chat)[-1].text or ""
    assert kept.endswith("…") and len(kept.encode("utf-16-le")) // 2 <= 4096


def test_clipping_keeps_markup_and_characters_whole():
    text = "<b>a &amp; b</b> <a href=\"https://t.me/x?start=petition_1\">посилання</a> 😀😀😀"
    for limit in range(1, visible_length(text) + 2):
        clipped = clip_html(text, limit)
        length, problem = telegram_length(clipped, "HTML")
        assert problem is None, (limit, clipped)
        assert length <= limit, (limit, clipped)
        assert "&am…" not in clipped and "\ud83d" not in clipped
    assert clip_html(text, 1000) == text
    assert clip_text("😀" * 3, 4) == "😀…"
    assert echo("  a\n\nb  ") == "a b" and echo("x" * 500).endswith("…")
    assert len(echo("x" * 500)) == 100


async def test_reply_models_outlive_a_garbage_collection(bot_app):
    # aiogram reads each reply as Response[<returned type>]; built in a function, pydantic keeps
    # that class weakly, and rebuilding it after every collection cost ~1 ms per request.
    await bot_app.bot.send_message(1303, "hello")
    await bot_app.bot.answer_callback_query("press-2")

    def reply_model(returning: object) -> object:
        return Response[returning]  # type: ignore[valid-type]

    models = [weakref.ref(reply_model(Message)), weakref.ref(reply_model(bool))]
    gc.collect()
    assert all(model() is not None for model in models)
