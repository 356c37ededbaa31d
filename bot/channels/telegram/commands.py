"""What Telegram shows about the bot: its description before Start, the command menu (one for
residents, a longer one in staff chats), per language and by default."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramRetryAfter
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    MenuButtonCommands,
)

from handlers.kit.clip import clip_text
from handlers.kit.feature import Command, Feature
from services.i18n import DEFAULT_LANGUAGE, LANGUAGES, Translator
from services.models import Role

log = logging.getLogger(__name__)

DESCRIPTION_MAX = 512  # Telegram's limits for setMyDescription / setMyShortDescription
SHORT_DESCRIPTION_MAX = 120


@dataclass(frozen=True, slots=True)
class CommandMenus:
    """The command lists the channel shows: residents', and what each staff role adds."""

    resident: tuple[Command, ...]
    staff: dict[Role, tuple[Command, ...]]

    def for_roles(self, roles: Iterable[Role]) -> tuple[Command, ...]:
        """A staff member's list: the residents' one, then each held role's in Role order."""
        held = set(roles)
        extra = [c for role in Role if role in held for c in self.staff.get(role, ())]
        return (*self.resident, *extra)

    @property
    def names(self) -> set[str]:
        return {c.name for c in self.resident} | {
            c.name for commands in self.staff.values() for c in commands}


def command_menus(features: Iterable[Feature]) -> CommandMenus:
    """The lists from the features' declared commands, each placed by its `order`."""
    commands = sorted((c for f in features for c in f.commands), key=lambda c: c.order)
    names = [c.name for c in commands]
    if dup := sorted({n for n in names if names.count(n) > 1}):
        raise ValueError(f"commands declared by two features: {dup}")
    return CommandMenus(
        resident=tuple(c for c in commands if c.staff is None),
        staff={role: tuple(c for c in commands if c.staff is role) for role in Role},
    )


def language_codes(default_language: str) -> list[tuple[str | None, str]]:
    """(language_code, our language): each of ours by name, and the default (None) for
    people whose Telegram speaks anything else."""
    return [(None, default_language), *((language, language) for language in LANGUAGES)]


def _commands(translator: Translator, language: str,
              commands: Iterable[Command]) -> list[BotCommand]:
    return [BotCommand(command=c.name, description=translator.gettext(language, c.description_key))
            for c in commands]


async def set_resident_commands(bot: Bot, translator: Translator, menus: CommandMenus,
                                default_language: str = DEFAULT_LANGUAGE) -> None:
    for code, language in language_codes(default_language):
        await bot.set_my_commands(
            _commands(translator, language, menus.resident),
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


async def set_staff_commands(bot: Bot, translator: Translator, menus: CommandMenus,
                             chat_id: int, roles: frozenset[Role],
                             default_language: str = DEFAULT_LANGUAGE) -> None:
    """Staff see their extra commands only in their own chat with the bot."""
    try:
        for code, language in language_codes(default_language):
            await bot.set_my_commands(
                _commands(translator, language, menus.for_roles(roles)),
                scope=BotCommandScopeChat(chat_id=chat_id),
                language_code=code,
            )
    except TelegramAPIError:
        # The chat may not exist yet (an admin granted before the person wrote to the bot).
        log.info("could not set staff commands for chat %s", chat_id)
