"""Sharing a petition into any chat: the card's share button and inline mode (`@bot petition 12`)
post the card (title, progress, link) with a button that opens it in the bot."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import update

from services.models import Petition, PetitionStatus
from tests.fakes.telegram_api import BOT_USERNAME, telegram_length
from tests.test_petitions_bot import onboarded, petition_row, publish

_query_ids = itertools.count(1)


async def _inline(bot_app, text: str, user_id: int = 1401, language: str = "uk"
                  ) -> dict[str, Any]:
    before = len(bot_app.fake.inline_answers)
    query_id = str(next(_query_ids))
    await bot_app.feed({"inline_query": {
        "id": query_id, "query": text, "offset": "", "chat_type": "supergroup",
        "from": {"id": user_id, "is_bot": False, "first_name": "Марія",
                 "language_code": language},
    }})
    answers = bot_app.fake.inline_answers[before:]
    assert len(answers) == 1, "every inline query is answered once"
    assert answers[0]["inline_query_id"] == query_id
    return answers[0]


async def test_the_card_shares_through_inline_mode(bot_app):
    await onboarded(bot_app, 14)
    pid = await publish(bot_app, 14, threshold=4)
    number = (await petition_row(bot_app, pid)).number
    visitor = bot_app.resident(1400)
    await visitor.send(f"/start petition_{pid}")
    share = visitor.last.button("Поділитися")
    assert share["switch_inline_query"] == f"петиція {number}"

    # What Telegram sends when the button's chat picker puts `@bot петиція N` into a chat.
    answer = await _inline(bot_app, share["switch_inline_query"])
    [result] = answer["results"]
    link = f"https://t.me/{BOT_USERNAME}?start=petition_{pid}"
    card = result["input_message_content"]["message_text"]
    assert result["type"] == "article" and f"№{number}" in result["title"]
    assert f"Петиція №{number}" in card and "Відремонтувати дорогу" in card
    assert "0 підписів із 4" in card and link in card
    assert "Коваленко" not in card and "+380" not in card  # nobody's data goes along
    assert result["input_message_content"]["parse_mode"] == "HTML"
    assert telegram_length(card, "HTML")[1] is None
    [[button]] = result["reply_markup"]["inline_keyboard"]
    assert button["url"] == link and "Відкрити" in button["text"]
    assert answer.get("cache_time") is not None and "button" not in answer

    # The "open" button's deep link shows the card in the bot.
    newcomer = bot_app.resident(1402)
    await newcomer.send(f"/start petition_{pid}")
    assert "Відремонтувати дорогу" in newcomer.last.text


@pytest.mark.parametrize("typed", ["petition {n}", "Петиція №{n}", "№{n}", "#{n}", " {n} ",
                                   "PETITION {n}"])
async def test_ways_of_typing_the_number(bot_app, typed: str):
    await onboarded(bot_app, 15)
    pid = await publish(bot_app, 15)
    number = (await petition_row(bot_app, pid)).number
    answer = await _inline(bot_app, typed.format(n=number), language="en")
    [result] = answer["results"]
    assert f"Petition No. {number}" in result["input_message_content"]["message_text"]


@pytest.mark.parametrize("typed", ["", "hello", "petition", "petition abc", "petition -1",
                                   "petition 0", "petition 999", "petition 99999999999",
                                   "petition 99999999999999999999", "12 13", "<b>12</b>"])
async def test_unknown_or_garbage_queries_get_no_results_and_a_hint(bot_app, typed: str):
    await onboarded(bot_app, 16)
    await publish(bot_app, 16)
    answer = await _inline(bot_app, typed)
    assert answer["results"] == []
    assert answer["button"]["start_parameter"] == "petitions"
    assert answer["button"]["text"]
    assert not bot_app.errors.records


async def test_only_published_petitions_are_shared(bot_app):
    await onboarded(bot_app, 17)
    pid = await publish(bot_app, 17)
    number = (await petition_row(bot_app, pid)).number
    async with bot_app.sessionmaker() as session:
        await session.execute(update(Petition).where(Petition.id == pid)
                              .values(status=PetitionStatus.HIDDEN))
        await session.commit()
    answer = await _inline(bot_app, f"petition {number}", language="en")
    assert answer["results"] == []
    assert f"No petition №{number}" in answer["button"]["text"]


async def test_typing_a_query_is_not_throttled(bot_app_factory):
    """Telegram sends a query per pause in typing; a throttled one would never be answered."""
    app = await bot_app_factory(throttle_rate=0.01, throttle_burst=2)
    for typed in ("п", "пе", "пет", "петиція", "петиція ", "петиція 1"):
        await _inline(app, typed)
