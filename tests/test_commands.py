"""The command lists Telegram shows (from the features' declarations in bot/features.py)
match the commands the features' routers actually handle."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command

from bot.channels.telegram.commands import command_menus
from bot.features import FEATURES
from services.i18n import LANGUAGES, catalog_keys

MENUS = command_menus(FEATURES)
RESIDENT_COMMANDS = [c.name for c in MENUS.resident]
STAFF_COMMANDS = {role: [c.name for c in commands] for role, commands in MENUS.staff.items()}


def _commands_of(router: Router) -> set[str]:
    found: set[str] = set()
    for handler in router.message.handlers:
        for flt in handler.filters or ():
            if isinstance(flt.callback, Command):  # CommandStart() is Command("start")
                found |= {c for c in flt.callback.commands if isinstance(c, str)}
    for sub in router.sub_routers:
        found |= _commands_of(sub)
    return found


def _handled() -> set[str]:
    """The commands the routers of the registry's features answer."""
    found: set[str] = set()
    for feature in FEATURES:
        for router in (*feature.routers(), *feature.fallback_routers()):
            found |= _commands_of(router)
    return found


def test_every_listed_command_is_handled_and_every_handled_one_listed():
    listed = set(RESIDENT_COMMANDS) | {c for names in STAFF_COMMANDS.values() for c in names}
    handled = _handled()
    assert listed - handled == set(), "listed but nobody handles them"
    assert handled - listed == set(), "handled but missing from the command menus"


def test_every_listed_command_has_a_description_in_every_language():
    listed = set(RESIDENT_COMMANDS) | {c for names in STAFF_COMMANDS.values() for c in names}
    for language in LANGUAGES:
        keys = catalog_keys(language)
        assert {f"cmd.{c}" for c in listed} <= set(keys), language


async def test_a_newcomer_sees_what_the_bot_is_before_pressing_start(bot_app_factory):
    """Description, short description and the commands menu, per language and by default."""
    from bot.app import on_startup
    from services.i18n import get_translator

    app = await bot_app_factory(city_name="Слов'янськ", default_language="en")
    fake = app.fake
    await on_startup(app.bot, app.settings, get_translator(), app.sessionmaker)

    assert set(fake.descriptions) == {None, "uk", "en"}
    assert set(fake.short_descriptions) == {None, "uk", "en"}
    assert "Слов'янськ" in fake.descriptions["uk"] and "Слов'янськ" in fake.descriptions["en"]
    assert fake.descriptions["uk"] != fake.descriptions["en"]
    assert fake.descriptions[None] == fake.descriptions["en"]  # DEFAULT_LANGUAGE=en
    assert all(len(d) <= 512 for d in fake.descriptions.values())
    assert all(len(d) <= 120 for d in fake.short_descriptions.values())
    assert fake.menu_button == {"type": "commands"}
    default_scope = {c.get("language_code"): c for c in fake.commands
                     if c["scope"]["type"] == "default"}
    assert set(default_scope) == {None, "uk", "en"}
    menu = {c["command"]: c["description"] for c in default_scope["uk"]["commands"]}
    assert menu["start"] and set(menu) == set(RESIDENT_COMMANDS)

    # A restart with the same texts does not send them again (Telegram limits these calls).
    calls = fake.method_counts["setmydescription"] + fake.method_counts["setmyshortdescription"]
    await on_startup(app.bot, app.settings, get_translator(), app.sessionmaker)
    assert fake.method_counts["setmydescription"] + fake.method_counts[
        "setmyshortdescription"] == calls


def test_the_profile_texts_fit_telegram_even_for_a_long_city_name():
    from bot.channels.telegram.commands import profile_texts
    from services.i18n import get_translator

    for language in LANGUAGES:
        description, short = profile_texts(get_translator(), language, "Новоград-Волинський" * 3)
        assert 0 < len(description) <= 512 and 0 < len(short) <= 120
