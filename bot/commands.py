"""The command lists Telegram shows: one for residents, a longer one in staff chats."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from services.i18n import LANGUAGES, Translator
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


def _commands(translator: Translator, language: str, names: Iterable[str]) -> list[BotCommand]:
    return [BotCommand(command=name, description=translator.gettext(language, f"cmd.{name}"))
            for name in names]


async def set_resident_commands(bot: Bot, translator: Translator) -> None:
    for language in LANGUAGES:
        await bot.set_my_commands(
            _commands(translator, language, RESIDENT_COMMANDS),
            scope=BotCommandScopeDefault(),
            language_code=None if language == "uk" else language,
        )


async def set_staff_commands(bot: Bot, translator: Translator, chat_id: int,
                             roles: frozenset[Role]) -> None:
    """Staff see their extra commands only in their own chat with the bot."""
    names = list(RESIDENT_COMMANDS)
    for role in Role:
        if role in roles:
            names.extend(STAFF_COMMANDS[role])
    try:
        for language in LANGUAGES:
            await bot.set_my_commands(
                _commands(translator, language, names),
                scope=BotCommandScopeChat(chat_id=chat_id),
                language_code=None if language == "uk" else language,
            )
    except TelegramAPIError:
        # The chat may not exist yet (an admin granted before the person wrote to the bot).
        log.info("could not set staff commands for chat %s", chat_id)
