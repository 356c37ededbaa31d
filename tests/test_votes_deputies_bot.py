"""The deputies' screens through the dispatcher: by faction, by district, by name, a card
with attendance and votes against the faction (each rule in one sentence), all their votes,
following, "my district's deputies", and comparing two deputies.

The council sample (see tests/test_votes_stats.py): «Світанок» = Коваленко (D1, district 1),
Іваненко (D2), Ґонтар (D3); «Рух» = Шевчук (D4), Мельник (D5); Арʼєв (D6) in no faction.
"""

from __future__ import annotations

from services.votes import follow
from tests.votes_bot_support import V2, consented, import_council


async def test_deputies_by_faction_to_a_card_with_its_rules(bot_app):
    await import_council(bot_app)
    c = bot_app.resident(3101)
    await c.command("/votes")
    await c.press("Депутати")
    menu = c.last
    labels = [b["text"] for b in menu.buttons]
    assert labels[:3] == ["Фракція «Світанок» (3)", "Фракція «Рух» (2)", "Позафракційні (1)"]
    await c.press("Фракція «Світанок»")
    assert "<b>Фракція «Світанок»</b> — депутатів: 3" in c.last.text
    assert [b["text"] for b in c.last.buttons][:3] == [
        "Ґонтар Ярина Сергіївна", "Іваненко Петро Миколайович", "Коваленко Олена Петрівна"]
    await c.press("Іваненко")
    card = c.last.text
    assert "👤 <b>Іваненко Петро Миколайович</b>" in card
    assert "Виборчий округ № 2" in card
    assert "Присутність:</b> 100% (4 з 4)" in card
    assert "Проти більшості фракції:</b> 66.7% (2 з 3)" in card
    # Each share comes with its rule, in one sentence.
    assert "Присутність — частка поіменних голосувань, у яких депутат був у залі" in card
    assert "Проти більшості фракції — частка голосувань" in card
    assert "Останні голосування" in card and V2 in card
    # Not started the bot: no follow button, but all votes and compare are there.
    assert not any("Стежити" in b["text"] for b in c.last.buttons)
    await c.press("Усі голосування")
    assert "голосувань: 4" in c.last.text
    await c.press(V2[:15])
    assert "Не прийнято" in c.last.text


async def test_the_unaffiliated_deputy_has_no_faction_share(bot_app):
    await import_council(bot_app)
    c = bot_app.resident(3102)
    await c.command("/votes")
    await c.press("Депутати")
    await c.press("Позафракційні")
    await c.press("Арʼєв")
    card = c.last.text
    assert "Позафракційні" in card and "Присутність:</b> 75% (3 з 4)" in card
    assert "не входить до фракції" in card and "Проти більшості" not in card


async def test_by_district_and_my_districts_deputies(bot_app):
    await consented(bot_app, 3103, district="Округ №2")
    await consented(bot_app, 3104, district="Центральний")
    await import_council(bot_app)
    c = bot_app.resident(3103)
    await c.command("/votes")
    await c.press("Депутати мого округу")
    assert "«Округ №2» — № 2" in c.last.text
    assert c.last.button("Іваненко Петро Миколайович")
    await c.press("За округами")
    # Мельник and Арʼєв have no district (areaId null).
    assert [b["text"] for b in c.last.buttons][:5] == [*(f"№{n} (1)" for n in range(1, 5)),
                                                      "⬅️ Назад"]
    await c.press("№4 (1)")
    assert "округу № 4" in c.last.text and c.last.button("Шевчук")

    other = bot_app.resident(3104)
    await other.command("/votes")
    await other.press("Депутати мого округу")
    assert "немає номера виборчого округу" in other.last.text
    assert other.last.button("За округами")


async def test_search_by_name_with_bad_input_and_follow_unfollow(bot_app):
    rid = await consented(bot_app, 3105)
    data = await import_council(bot_app)
    c = bot_app.resident(3105)
    await c.command("/votes")
    await c.press("Депутати")
    await c.press("Пошук за прізвищем")
    await c.send("к")
    assert "Напишіть хоча б одне слово" in c.last.text and "прізвище депутата" in c.last.text
    await c.send("шевчук")
    assert "знайдено депутатів: 1" in c.last.text
    await c.press("Шевчук Андрій Іванович")
    await c.press("Стежити за депутатом")
    assert "Ви стежите" in c.last_callback_answers[0]["text"]
    assert c.last.button("Не стежити")
    async with bot_app.sessionmaker() as session:
        assert await follow.is_following(session, rid, data["deputies"]["D4"])
    await c.command("/votes")
    await c.press("Мої депутати (1)")
    await c.press("Шевчук")
    await c.press("Не стежити")
    async with bot_app.sessionmaker() as session:
        assert not await follow.is_following(session, rid, data["deputies"]["D4"])


async def test_compare_two_deputies(bot_app):
    await import_council(bot_app)
    c = bot_app.resident(3106)
    await c.command("/votes")
    await c.press("Депутати")
    await c.press("Фракція «Світанок»")
    await c.press("Коваленко")
    await c.press("Порівняти з")
    assert "З ким порівняти Коваленко Олена Петрівна" in c.last.text
    await c.send("Іваненко")
    assert "Порівняння з депутатом Коваленко Олена Петрівна" in c.last.text
    await c.press("Іваненко Петро Миколайович")
    result = c.last.text
    # V1 for/for, V2 against/against; V3 she for, he did not vote; V4 she absent: 2 of 2.
    assert "Збіг голосів: 100% (2 з 2)" in result
    assert "однаково" in result
    await c.press("Назад")
    assert "Коваленко Олена Петрівна" in c.last.text and "Присутність" in c.last.text


async def test_a_compare_where_they_differed_lists_the_decisions(bot_app):
    data = await import_council(bot_app)
    d = data["deputies"]
    c = bot_app.resident(3107)
    await c.command("/votes")
    await c.callback(f"vc:{d['D1']}:{d['D3']}:0")
    text = c.last.text
    # V1 за/проти, V2 проти/проти, V3 за/за (V4: D1 absent) → 2 of 3, differed on V1.
    assert "Збіг голосів: 66.7% (2 з 3)" in text
    assert "Голосували по-різному (1)" in text and "порядку денного" in text
    await c.press("Про затвердження")
    assert "Прийнято" in c.last.text
