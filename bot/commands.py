"""What Telegram shows about the bot: its description before Start, the command menu (one for
residents, a longer one in staff chats), per language and by default."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramRetryAfter
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    MenuButtonCommands,
)

from handlers.kit.clip import clip_text
from services.i18n import DEFAULT_LANGUAGE, LANGUAGES, Translator
from services.models import Role

log = logging.getLogger(__name__)

RESIDENT_COMMANDS: tuple[str, ...] = (
    "start", "menu", "help", "settings", "subscriptions", "events", "cancel", "forget",
)
# Which staff commands each role adds; features list their commands here.
STAFF_COMMANDS: dict[Role, tuple[str, ...]] = {
    Role.MODERATOR: (
        "petitions_queue", "petition_manage", "petition_export", "appeals", "appeals_export",
        "stats",
    ),
    Role.PRESS: ("broadcast", "broadcasts", "event_new"),
    Role.ADMIN: ("grant", "revoke", "staff"),
}
DESCRIPTION_MAX = 512  # Telegram's limits for setMyDescription / setMyShortDescription
SHORT_DESCRIPTION_MAX = 120


def language_codes(default_language: str) -> list[tuple[str | None, str]]:
    """(language_code, our language): each of ours by name, and the default (None) for
    people whose Telegram speaks anything else."""
    return [(None, default_language), *((language, language) for language in LANGUAGES)]


def _commands(translator: Translator, language: str, names: Iterable[str]) -> list[BotCommand]:
    return [BotCommand(command=name, description=translator.gettext(language, f"cmd.{name}"))
            for name in names]


async def set_resident_commands(bot: Bot, translator: Translator,
                                default_language: str = DEFAULT_LANGUAGE) -> None:
    for code, language in language_codes(default_language):
        await bot.set_my_commands(
            _commands(translator, language, RESIDENT_COMMANDS),
            scope=BotCommandScopeDefault(),
            language_code=code,
        )


def profile_texts(translator: Translator, language: str, city: str) -> tuple[str, str]:
    """The description (shown before Start) and the short one (profile, shared links)."""
    return (clip_text(translator.gettext(language, "bot.description", city=city),
                      DESCRIPTION_MAX),
            clip_text(translator.gettext(language, "bot.short_description", city=city),
                      SHORT_DESCRIPTION_MAX))


async def set_bot_profile(bot: Bot, translator: Translator, city: str,
                          default_language: str = DEFAULT_LANGUAGE) -> None:
    """What a newcomer sees before pressing Start, and the menu button with the commands.

    Texts Telegram already has are not sent again: it limits how often they may change.
    """
    try:
        for code, language in language_codes(default_language):
            description, short = profile_texts(translator, language, city)
            current = await bot.get_my_description(language_code=code)
            if current.description != description:
                await bot.set_my_description(description=description, language_code=code)
            current_short = await bot.get_my_short_description(language_code=code)
            if current_short.short_description != short:
                await bot.set_my_short_description(short_description=short, language_code=code)
        await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
    except (TelegramBadRequest, TelegramRetryAfter) as exc:
        # The bot works without them; the next start tries again.
        log.warning("could not set the bot's description or menu button: %s", exc.message)


async def set_staff_commands(bot: Bot, translator: Translator, chat_id: int,
                             roles: frozenset[Role],
                             default_language: str = DEFAULT_LANGUAGE) -> None:
    """Staff see their extra commands only in their own chat with the bot."""
    names = list(RESIDENT_COMMANDS)
    for role in Role:
        if role in roles:
            names.extend(STAFF_COMMANDS[role])
    try:
        for code, language in language_codes(default_language):
            await bot.set_my_commands(
                _commands(translator, language, names),
                scope=BotCommandScopeChat(chat_id=chat_id),
                language_code=code,
            )
    except TelegramAPIError:
        # The chat may not exist yet (an admin granted before the person wrote to the bot).
        log.info("could not set staff commands for chat %s", chat_id)
