"""The resident's district in the profile, through the real dispatcher and the fake Bot API:
taken from the address when the street table covers it, else one optional onboarding step
("don't know" allowed), changeable in /settings, forged buttons refused, and no step at all
for a council without districts."""

from __future__ import annotations

from pathlib import Path

from handlers.profile.callbacks import DistrictCB, SettingsDistrictCB
from services.models import Resident

ROOT = Path(__file__).resolve().parent.parent
NAMES = "Центральний,Північний,Південний"
TABLE = str(ROOT / "docs" / "districts.sample.csv")


async def resident_of(app, user_id: int) -> Resident:
    from services import residents

    async with app.sessionmaker() as session:
        found = await residents.by_identity(session, "telegram", str(user_id))
        assert found is not None
        return found


async def to_building(client, street: str) -> None:
    """Onboarding up to (not including) the building number."""
    await client.send("/start")
    await client.press("Українська")
    await client.press("Погоджуюся")
    await client.contact(f"+38050{client.user_id:07d}")
    await client.send("Коваленко Олена Петрівна")
    await client.send(street)


async def test_the_district_comes_from_the_address_when_the_table_covers_it(bot_app_factory):
    app = await bot_app_factory(districts=NAMES, districts_table=TABLE)
    olena = app.resident(401)
    await olena.send("/start")
    assert "Крок 1 з 7" in olena.last.text  # the optional district step is counted
    await olena.press("Українська")
    await olena.press("Погоджуюся")
    await olena.contact("+380504010401")
    await olena.send("Коваленко Олена Петрівна")
    await olena.send("вулиця Шевченка")
    replies = await olena.send("12")
    texts = [r.text or "" for r in replies]
    assert any("За вашою адресою ваш район — Північний" in t for t in texts)
    assert not any("Крок 7 з 7" in t for t in texts)  # nothing to ask
    assert any("Профіль збережено" in t for t in texts)
    resident = await resident_of(app, 401)
    assert resident.district == "Північний"


async def test_the_district_is_asked_when_the_address_does_not_tell(bot_app_factory):
    app = await bot_app_factory(districts=NAMES, districts_table=TABLE)
    olena = app.resident(402)
    await to_building(olena, "вул. Незнайома")
    replies = await olena.send("3")
    assert "Крок 7 з 7" in replies[-1].text and "У якому районі" in replies[-1].text
    assert not any("Профіль збережено" in (r.text or "") for r in replies)
    assert [b["text"] for b in replies[-1].buttons] == [
        "Центральний", "Північний", "Південний", "🤷 Не знаю"]
    # Typed text is not an answer: the reason, and the same question.
    replies = await olena.send("Північний район")
    assert "оберіть район кнопкою" in replies[-1].text and "Крок 7 з 7" in replies[-1].text
    assert (await resident_of(app, 402)).district is None
    replies = await olena.press("Південний")
    assert any("Ваш район: Південний" in (r.text or "") for r in replies)
    assert "Профіль збережено" in " ".join(r.text or "" for r in replies)
    resident = await resident_of(app, 402)
    assert resident.district == "Південний" and resident.district_asked_at is not None


async def test_dont_know_is_an_answer_and_is_not_asked_again(bot_app_factory):
    app = await bot_app_factory(districts=NAMES)
    taras = app.resident(403)
    await taras.onboard()
    assert "Крок 7 з 7" in taras.last.text
    replies = await taras.press("Не знаю")
    assert any("район не вказано" in (r.text or "") for r in replies)
    resident = await resident_of(app, 403)
    assert resident.district is None and resident.district_asked_at is not None
    await taras.send("/start")
    assert "У якому районі" not in taras.last.text


async def test_forged_district_buttons_are_refused(bot_app_factory):
    app = await bot_app_factory(districts=NAMES)
    olena = app.resident(404)
    await olena.onboard()
    step = olena.last
    await olena.callback(DistrictCB(choice=4).pack(), step)  # one past the list
    assert olena.last_callback_answers[-1]["text"].startswith("Такого району немає")
    assert "Крок 7 з 7" in olena.last.text  # the same question again
    await olena.callback("ob:district:-1", step)
    await olena.callback("ob:district:Північний", step)
    resident = await resident_of(app, 404)
    assert resident.district is None and resident.district_asked_at is None
    await olena.press("Центральний", step)
    await olena.send("/settings")
    await olena.callback(SettingsDistrictCB(choice=9).pack())
    assert olena.last_callback_answers[-1]["text"].startswith("Такого району немає")
    assert (await resident_of(app, 404)).district == "Центральний"


async def test_the_district_is_changed_in_settings_and_follows_a_move(bot_app_factory):
    app = await bot_app_factory(districts=NAMES, districts_table=TABLE)
    olena = app.resident(405)
    await olena.onboard(street="вул. Шевченка", building="12")
    await olena.send("/settings")
    assert "Район: Північний" in olena.last.text
    await olena.press("Район")
    assert olena.last.button("Північний")["text"] == "📍 Північний"  # the current one
    await olena.press("Центральний")
    assert "Район: Центральний" in olena.last.text and olena.last.button("Район")
    assert (await resident_of(app, 405)).district == "Центральний"
    await olena.press("Район")
    await olena.press("Не знаю")
    assert "Район: не вказано" in olena.last.text
    # A move the table covers: the district follows the address.
    await olena.press("Змінити адресу")
    await olena.send("вул. Шевченка")
    replies = await olena.send("51")
    assert any("ваш район — Південний" in (r.text or "") for r in replies)
    assert "Район: Південний" in replies[-1].text
    # A move it does not cover: the district is unknown again, and asked right away.
    await olena.press("Змінити адресу")
    await olena.send("вул. Незнайома")
    replies = await olena.send("7")
    assert "У якому районі" in replies[-1].text and replies[-1].button("Назад")
    assert (await resident_of(app, 405)).district is None
    await olena.press("Північний")
    assert "Район: Північний" in olena.last.text
    assert (await resident_of(app, 405)).district == "Північний"


async def test_no_district_step_or_row_without_configured_districts(bot_app):
    olena = bot_app.resident(406)
    await olena.onboard()
    texts = " ".join(olena.texts())
    assert "з 6" in texts and "з 7" not in texts and "У якому районі" not in texts
    assert "Профіль збережено" in texts
    await olena.send("/settings")
    assert "Район" not in olena.last.text
    assert not any("Район" in b["text"] for b in olena.last.buttons)
    await olena.callback("st:district:")
    assert olena.last_callback_answers[-1]["text"] == "У громаді не налаштовано районів."
    await olena.callback(DistrictCB(choice=1).pack())
    await olena.callback(SettingsDistrictCB(choice=1).pack())
    assert (await resident_of(bot_app, 406)).district is None


MANY = ",".join(f"Округ {k}" for k in range(1, 31))  # a merged hromada's 30 starosta districts


def _button_count(message) -> int:
    return len(message.buttons)


async def test_thirty_districts_come_a_page_at_a_time_within_vibers_24_buttons(bot_app_factory):
    app = await bot_app_factory(districts=MANY)
    olena = app.resident(407)
    await olena.onboard()
    question = olena.last
    assert "Крок 7 з 7" in question.text and question.button("Округ 16")
    assert not any(b["text"] == "Округ 17" for b in question.buttons)
    assert question.button("1/2") and question.button("Далі") and question.button("Не знаю")
    assert _button_count(question) <= 24
    await olena.press("Далі")
    turned = olena.last
    assert turned.message_id == question.message_id  # the question edited in place
    assert turned.button("Округ 30") and turned.button("2/2") and turned.button("Назад")
    assert not any(b["text"] == "Округ 1" for b in turned.buttons)
    assert _button_count(turned) <= 24
    replies = await olena.press("Округ 25")
    assert any("Ваш район: Округ 25" in (r.text or "") for r in replies)
    assert (await resident_of(app, 407)).district == "Округ 25"
    # The settings open at the current district's page; the other page is one press away.
    await olena.send("/settings")
    await olena.press("Район")
    assert olena.last.button("Округ 25")["text"] == "📍 Округ 25" and olena.last.button("2/2")
    assert _button_count(olena.last) <= 24
    await olena.press("◀️ Назад")
    assert olena.last.button("Округ 1") and olena.last.button("1/2")
    await olena.press("Округ 3")
    assert "Район: Округ 3" in olena.last.text
    assert (await resident_of(app, 407)).district == "Округ 3"
