"""The Telegram client of one process: the aiogram Bot, how screens are shown on it, and what
is published to Telegram at start-up (bootstrap admins' rows, command lists, the profile)."""

from __future__ import annotations

from pathlib import Path

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.media import MediaStore
from bot.channels.telegram.commands import (
    command_menus,
    set_bot_profile,
    set_resident_commands,
    set_staff_commands,
)
from bot.channels.telegram.limits import WithinTelegramLimits
from bot.channels.telegram.render import TelegramRenderer
from bot.channels.telegram.response_types import KeepResponseTypes
from bot.channels.telegram.session import JsonAiohttpSession
from bot.config import Settings
from bot.features import FEATURES
from handlers.kit.show import set_default_renderer
from services import roles
from services.i18n import Translator
from services.models import Channel

__all__ = ["build_bot", "on_startup"]


def build_bot(settings: Settings, session: AiohttpSession | None = None) -> Bot:
    """The Bot for `settings`; screens shown through `handlers.kit.show` render on Telegram
    unless another channel registers itself for its events."""
    if session is None:
        session = JsonAiohttpSession()
        if settings.telegram_api_base:
            session.api = TelegramAPIServer.from_base(settings.telegram_api_base)
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is needed to talk to Telegram")
    # Nothing the bot sends may exceed Telegram's length limits (refused with 400 otherwise).
    session.middleware(WithinTelegramLimits())
    session.middleware(KeepResponseTypes())
    set_default_renderer(TelegramRenderer(store=MediaStore.reader(Path(settings.media_dir))))
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML,
                                     link_preview_is_disabled=True),
    )


async def on_startup(bot: Bot, settings: Settings, translator: Translator,
                     sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Bootstrap admins become rows; the bot's description and command lists (residents,
    staff) are published."""
    async with sessionmaker() as session:
        await roles.sync_bootstrap_admins(session, Channel.TELEGRAM,
                                          [str(i) for i in settings.admin_ids])
        staff = await roles.list_staff(session, Channel.TELEGRAM)
        await session.commit()
    menus = command_menus(FEATURES)
    await set_resident_commands(bot, translator, menus, settings.default_language)
    await set_bot_profile(bot, translator, settings.city_name, settings.default_language)
    for member in staff:
        if member.external_id.lstrip("-").isdigit():
            await set_staff_commands(bot, translator, menus, int(member.external_id),
                                     roles.expand(member.roles), settings.default_language)
