"""The profile's buttons keep the packed data of the buttons already in people's chats, and its
screens (pure values) say "step k of n" and carry the right keyboard."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from aiogram.filters.callback_data import CallbackData

from handlers.kit.screen import RequestKind
from handlers.profile import screens
from handlers.profile.callbacks import (
    ACTIONS,
    ConsentCB,
    LanguageCB,
    LinkCB,
    SettingsCB,
    SettingsLanguageCB,
    UnlinkCB,
)
from handlers.profile.screens import Reply, SettingsAction
from services.i18n import get_translator
from services.models import Resident
from services.profile import ProfileRules, ProfileStep, next_missing

FAMILIES: tuple[type[CallbackData], ...] = (LanguageCB, ConsentCB, LinkCB, SettingsCB,
                                            SettingsLanguageCB, UnlinkCB)
# What the buttons sent before the profile package existed carried (and still carry).
LEGACY = {
    "ob:lang:uk": LanguageCB(language="uk"),
    "ob:lang:en": LanguageCB(language="en"),
    "ob:consent:yes": ConsentCB(reply=Reply.YES),
    "ob:consent:no": ConsentCB(reply=Reply.NO),
    "ob:link:yes": LinkCB(reply=Reply.YES),
    "ob:link:no": LinkCB(reply=Reply.NO),
    "acc:unlink:12": UnlinkCB(identity=12),
    "st:set_language:en": SettingsLanguageCB(language="en"),
    **{f"st:{a.value}:": SettingsCB(action=a) for a in SettingsAction},
}


def _unpacked_by(data: str) -> list[CallbackData]:
    found = []
    for family in FAMILIES:
        with contextlib.suppress(TypeError, ValueError):
            found.append(family.unpack(data))
    return found


@pytest.mark.parametrize("data", sorted(LEGACY))
def test_each_button_packs_as_before_and_only_its_family_unpacks_it(data: str):
    assert LEGACY[data].pack() == data
    assert _unpacked_by(data) == [LEGACY[data]]


@pytest.mark.parametrize("data", ["ob:lang:xx", "st:set_language:ru", "ob:consent:maybe",
                                  "st:bogus:", "st:name:x", "acc:unlink:-1", "acc:drop:3"])
def test_forged_values_unpack_nowhere(data: str):
    assert _unpacked_by(data) == []


async def test_a_forged_language_is_a_stale_button(bot_app):
    c = bot_app.resident(1301)
    await c.send("/start")
    await c.callback("ob:lang:xx", c.last)
    assert "кнопка вже не діє" in c.last_callback_answers[-1]["text"]
    assert "Крок 1 з 6" in c.last.text  # the question stays as it was


def test_every_missing_piece_is_asked_as_step_k_of_six():
    tr = get_translator().for_language("en")
    rules = ProfileRules(city_name="Bucha", privacy_policy_url="https://bucha.example/privacy")
    numbers = {}
    for step in ProfileStep:
        screen = screens.question(tr, step, rules, ACTIONS)
        numbers[step] = next(n for n in range(2, 7) if f"Step {n} of 6" in screen.text)
    assert list(numbers.values()) == [2, 3, 4, 5, 6]
    consent = screens.question(tr, ProfileStep.CONSENT, rules, ACTIONS)
    assert consent.rows[0][0].url == "https://bucha.example/privacy" and "Bucha" in consent.text
    assert [b.action for row in consent.rows[1:] for b in row] == [
        ConsentCB(reply=Reply.YES), ConsentCB(reply=Reply.NO)]
    phone = screens.question(tr, ProfileStep.PHONE, rules, ACTIONS)
    assert phone.request is not None and phone.request.kind is RequestKind.PHONE
    name = screens.question(tr, ProfileStep.FULL_NAME, rules, ACTIONS)
    assert name.remove_reply_keyboard and name.new_message
    assert "Step 1 of 6" in screens.welcome(tr, rules, ACTIONS).text


def test_the_next_missing_piece_follows_the_profile():
    resident = Resident()
    assert next_missing(None) is ProfileStep.CONSENT
    assert next_missing(resident) is ProfileStep.CONSENT
    resident.consent_at = resident.phone_verified_at = datetime(2026, 1, 1, tzinfo=UTC)
    assert next_missing(resident) is ProfileStep.FULL_NAME
    resident.full_name, resident.street = "Коваленко Олена", "вул. Миру"
    assert next_missing(resident) is ProfileStep.BUILDING
    resident.building = "3"
    assert next_missing(resident) is None and resident.is_complete


def test_the_settings_screen_offers_every_form_and_the_way_back():
    tr = get_translator().for_language("uk")
    resident = Resident(language="uk", full_name="Коваленко Олена", street="вул. Миру",
                        building="3", quiet_from=22, quiet_to=7)
    screen = screens.settings(tr, resident, ACTIONS)
    assert "вул. Миру, 3" in screen.text and "22:00" in screen.text
    packed = [b.action.pack() for b in screen.buttons if b.action is not None]
    assert packed == ["st:language:", "st:name:", "st:address:", "st:quiet:", "st:forget:",
                      "m:main"]
