"""A resident onboards on Viber through the real dispatcher: the same conversation as on
Telegram (the same handlers), drawn as Viber keyboards, stored under the Viber account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from services.models import ChannelIdentity, Resident

if TYPE_CHECKING:
    from tests.viber_support import ViberApp

pytest_plugins = ("tests.viber_support",)


async def test_onboarding_from_the_welcome_to_a_complete_profile(viber: ViberApp):
    olena = viber.resident()
    welcome = await olena.open_chat()
    # Before subscribing only the welcome in the HTTP answer can reach her (send: status 6).
    assert welcome is not None and olena.sent == []
    assert "Hromada" in welcome["text"] and welcome["sender"]["name"] == "Громада"
    assert olena.button("Почати")["ActionBody"] == "/start"

    await olena.press("Почати")
    assert "*Крок 1 з 6*" not in olena.last.text and "_Крок 1 з 6_" in olena.last.text
    assert [b["ActionBody"] for b in olena.shown_keyboard()] == ["cb:ob:lang:uk",
                                                                 "cb:ob:lang:en"]
    assert all(b["Silent"] and b["Columns"] == 3 for b in olena.shown_keyboard())
    await olena.press("Українська")
    assert olena.button("політики")["ActionType"] == "open-url"
    assert await viber.identity(olena.id) is None  # nothing stored before consent

    await olena.press("Погоджуюся")
    identity = await viber.identity(olena.id)
    assert identity is not None and identity.chat_id == olena.id
    share = olena.button("Поділитися номером")
    assert share["ActionType"] == "share-phone" and olena.last.body["min_api_version"] == 3

    await olena.press("Поділитися номером")
    assert "Номер підтверджено" in olena.texts()[-2]
    assert olena.shown_keyboard() == []  # the phone keyboard is taken away, as on Telegram
    await olena.send("Коваленко Олена Петрівна")
    await olena.send("вул. Шевченка")
    await olena.send("12")
    assert any("Профіль збережено" in t for t in olena.texts())

    resident = await viber.resident_of(olena.id)
    assert resident is not None and resident.is_complete and resident.is_verified
    assert resident.full_name == "Коваленко Олена Петрівна" and resident.building == "12"
    async with viber.telegram.sessionmaker() as session:
        accounts = (await session.execute(
            select(ChannelIdentity.channel, ChannelIdentity.external_id))).all()
    assert accounts == [("viber", olena.id)]
    assert all("<" not in t for t in olena.texts()), "HTML reached Viber"


async def test_a_forwarded_contact_card_is_not_a_verified_phone(viber: ViberApp):
    olena = viber.resident()
    await olena.open_chat()
    for label in ("Почати", "Українська", "Погоджуюся"):
        await olena.press(label)
    await olena.forward_contact("+380671112233")
    assert "контакт іншої людини" in olena.last.text
    assert olena.button("Поділитися номером")["ActionType"] == "share-phone"
    # A contact whose text is some other person's share-phone body proves nothing either.
    await olena.message({"type": "contact", "text": "ph:0000000000000000000000aa",
                         "contact": {"phone_number": "+380671112233"}})
    assert "контакт іншої людини" in olena.last.text
    resident = await viber.resident_of(olena.id)
    assert resident is not None and resident.phone is None and not resident.is_verified


async def test_two_viber_residents_are_two_people(viber: ViberApp):
    await viber.resident("AAAAAAAAAAAAAAAAAAAAAA==").onboard()
    await viber.resident("BBBBBBBBBBBBBBBBBBBBBB==", name="Петро").onboard()
    async with viber.telegram.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Resident)) == 2


async def test_a_deep_link_context_becomes_the_start_payload(viber: ViberApp):
    olena = viber.resident()
    await olena.open_chat(context="petition_12")
    assert olena.button("Почати")["ActionBody"] == "/start petition_12"
    petro = viber.resident("PPPPPPPPPPPPPPPPPPPPPP==")
    await petro.open_chat(context="<script>alert(1)</script>")
    assert petro.button("Почати")["ActionBody"] == "/start"


async def test_a_returning_subscriber_reopening_the_chat(viber: ViberApp):
    olena = viber.resident()
    await olena.onboard()
    await olena.press("Не зараз")
    shown = olena.last
    assert await olena.open_chat() is None  # subscribed: no welcome
    assert olena.last is shown  # and his conversation simply goes on
    # A deep link opened by a subscriber is `/start <context>`: the menu's deep-link route.
    await olena.open_chat(context="menu")
    assert olena.last is not shown and "Оберіть розділ" in olena.last.text


async def test_a_phone_typed_on_viber_desktop_joins_nobody_and_points_to_the_phone_app(
        viber: ViberApp):
    """Viber for computers has no share-phone button: a number typed instead proves nothing
    (it must never join the profile that holds it, or anyone could take over an account),
    so the person is told, in their language, to use the button in Viber on the phone."""
    owner = viber.telegram.resident(201)
    await owner.onboard(phone="+380671234567", name="Коваленко Олена Петрівна")
    intruder = viber.resident("DDDDDDDDDDDDDDDDDDDDDD==", name="Desk", language="en")
    await intruder.open_chat()
    for label in ("Start", "English", "I agree"):
        await intruder.press(label)
    for typed in ("+380671234567", "0671234567", "my number is 067 123 45 67"):
        await intruder.send(typed)
        assert "Viber on your phone" in intruder.last.text, intruder.last.text
        assert "Share my number" in intruder.last.text and "confirm your phone number" \
            in intruder.last.text  # and the question again
        assert intruder.button("Share my number")["ActionType"] == "share-phone"
        assert not any("my profile" in label for label in intruder.labels())
    # The desktop's press of the share-phone button: only its ActionBody comes, no contact.
    await intruder.send(intruder.button("Share my number")["ActionBody"])
    assert "Viber on your phone" in intruder.last.text
    async with viber.telegram.sessionmaker() as session:
        held = await session.scalar(select(Resident).where(Resident.phone == "+380671234567"))
        accounts = (await session.execute(select(ChannelIdentity.channel,
                                                 ChannelIdentity.resident_id))).all()
    assert held is not None and held.full_name == "Коваленко Олена Петрівна"
    assert ("viber", held.id) not in accounts  # not joined to the owner's profile
    mine = await viber.resident_of(intruder.id)
    assert mine is not None and mine.id != held.id and mine.phone is None

    olena = viber.resident()  # in Ukrainian, the same
    await olena.open_chat()
    for label in ("Почати", "Українська", "Погоджуюся"):
        await olena.press(label)
    await olena.send("+380501112233")
    assert "Viber на телефоні" in olena.last.text and olena.button("Поділитися номером")
