"""Personal conversations happen in private chats only: in a group the bot answers at most
`/start`, with a button to its private chat, and stays silent otherwise."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from tests.fakes.telegram_api import BOT_USERNAME

GROUP_TYPES = ("group", "supergroup")
_ids = itertools.count(50_000)


def _group_message(user: dict[str, Any], chat_id: int, chat_type: str, text: str
                   ) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_ids), "date": int(time.time()),
        "chat": {"id": chat_id, "type": chat_type, "title": "Сусіди"},
        "from": user, "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(text.split(" ", 1)[0])}]
    return {"message": message}


def _group_press(user: dict[str, Any], chat_id: int, chat_type: str, data: str
                 ) -> dict[str, Any]:
    return {"callback_query": {
        "id": str(next(_ids)), "from": user, "chat_instance": str(chat_id), "data": data,
        "message": {"message_id": next(_ids), "date": int(time.time()),
                    "chat": {"id": chat_id, "type": chat_type, "title": "Сусіди"},
                    "from": {"id": 4242, "is_bot": True, "first_name": "Hromada"},
                    "text": "old menu",
                    "reply_markup": {"inline_keyboard": [[
                        {"text": "⚙️", "callback_data": data}]]}},
    }}


@pytest.mark.parametrize("chat_type", GROUP_TYPES)
async def test_nothing_personal_is_said_in_a_group(bot_app, chat_type: str):
    olena = bot_app.resident(1101)
    await olena.onboard(name="Коваленко Олена Петрівна", street="вул. Шевченка", building="12")
    group_id = -100_777 if chat_type == "supergroup" else -777
    private_before = len(olena.sent)
    sent_before = len(bot_app.fake.sent)
    answers_before = len(bot_app.fake.callback_answers)

    for text in ("/settings", "/menu", "/help", "/cancel", "/forget", "/subscriptions",
                 "/settings@" + BOT_USERNAME, "Коваленко", "привіт усім"):
        await bot_app.feed(_group_message(olena.user, group_id, chat_type, text))
    for data in ("m:settings", "m:main", "st:name:", "pc:open:1::0", "gone:1"):
        await bot_app.feed(_group_press(olena.user, group_id, chat_type, data))

    assert bot_app.fake.sent[sent_before:] == [], "nothing shown or edited anywhere"
    assert len(olena.sent) == private_before
    # Every press is answered, silently: no alert, no text, no spinning clock.
    answers = bot_app.fake.callback_answers[answers_before:]
    assert len(answers) == 5
    assert all(not a.get("text") for a in answers)


@pytest.mark.parametrize("chat_type", GROUP_TYPES)
async def test_start_in_a_group_offers_the_private_chat(bot_app, chat_type: str):
    user = {"id": 1102, "is_bot": False, "first_name": "Петро", "language_code": "en"}
    group_id = -100_778 if chat_type == "supergroup" else -778
    for text in ("/start", f"/start@{BOT_USERNAME}", "/start petition_12"):
        await bot_app.feed(_group_message(user, group_id, chat_type, text))
    await bot_app.feed(_group_message(user, group_id, chat_type, "/start@other_bot"))

    replies = bot_app.fake.to_chat(group_id)
    assert len(replies) == 3
    for reply in replies:
        assert "private chat" in (reply.text or "")
        assert "Step" not in (reply.text or "") and "Петро" not in (reply.text or "")
        [button] = reply.buttons
        assert button["url"].startswith(f"https://t.me/{BOT_USERNAME}")
    # A deep link keeps its payload, so the private chat opens the same petition.
    assert replies[2].buttons[0]["url"] == f"https://t.me/{BOT_USERNAME}?start=petition_12"
    assert bot_app.fake.to_chat(1102) == []


async def test_private_chats_still_work_alongside(bot_app):
    c = bot_app.resident(1103)
    await bot_app.feed(_group_message(c.user, -100_779, "supergroup", "/menu"))
    await c.send("/menu")
    assert "Оберіть розділ" in c.last.text


async def test_a_message_without_a_sender_is_ignored(bot_app):
    for text in ("/start", "/menu", "hello"):
        await bot_app.feed({"message": {
            "message_id": next(_ids), "date": int(time.time()),
            "chat": {"id": 1104, "type": "private"}, "text": text,
            **({"entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]}
               if text.startswith("/") else {}),
        }})
    assert bot_app.fake.sent == []
    assert not bot_app.errors.records


async def test_channel_posts_still_reach_the_dispatcher(bot_app):
    seen: list[int] = []

    @bot_app.dp.channel_post()
    async def record(post: Any) -> None:
        seen.append(post.chat.id)

    await bot_app.feed({"channel_post": {
        "message_id": next(_ids), "date": int(time.time()),
        "chat": {"id": -100_900, "type": "channel", "title": "Міська рада"},
        "sender_chat": {"id": -100_900, "type": "channel", "title": "Міська рада"},
        "text": "Сесія о 10:00"}})
    assert seen == [-100_900]


async def test_a_group_where_the_bot_may_not_write_gets_silence_not_an_error(bot_app):
    user = {"id": 1105, "is_bot": False, "first_name": "Ігор", "language_code": "uk"}
    bot_app.fake.fail_next("sendMessage", 400)
    await bot_app.feed(_group_message(user, -100_780, "supergroup", "/start"))
    assert not bot_app.errors.records
    assert bot_app.fake.to_chat(-100_780) == []
