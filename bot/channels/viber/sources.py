"""Files a Viber resident must see that another channel holds, fetched for the media store.

Viber fetches what it shows from a public URL, so a Telegram file (an appeal's answer a
moderator sent on Telegram, a broadcast's photo) is downloaded through the Telegram bot, and a
poll's chart is read from its table; the store keeps the copy (bot/channels/media.py).
"""

from __future__ import annotations

import logging
from pathlib import PurePosixPath

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramNetworkError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import TransientError
from bot.channels.viber.aliases import CHANNEL
from bot.channels.viber.outgoing import FileSource
from services.polls import media as poll_media

log = logging.getLogger(__name__)

# The Bot API lets a bot download files up to 20 MB.
TELEGRAM_DOWNLOAD_MAX = 20 * 1024 * 1024


def telegram_files(bot: Bot, max_bytes: int = TELEGRAM_DOWNLOAD_MAX) -> FileSource:
    """Telegram file ids, downloaded through `bot` (the process's Telegram bot)."""

    async def fetch(ref: str) -> tuple[bytes, str] | None:
        if ":" in ref or "/" in ref:  # a reference of ours or a URL: no Telegram file id
            return None
        try:
            file = await bot.get_file(ref)
            if not file.file_path or (file.file_size or 0) > max_bytes:
                log.info("a Telegram file too large or without a path was not copied")
                return None
            data = await bot.download_file(file.file_path)
            if data is not None:
                data.seek(0)
        except TelegramBadRequest:
            return None  # not a file of this bot
        except (TelegramNetworkError, TelegramAPIError, OSError) as exc:
            raise TransientError(f"Telegram file download: {type(exc).__name__}") from exc
        if data is None:
            return None
        return data.read(), PurePosixPath(file.file_path).name

    return fetch


def poll_charts(sessionmaker: async_sessionmaker[AsyncSession]) -> FileSource:
    """`poll-chart:<id>` references: the chart drawn once for a poll's results."""

    async def fetch(ref: str) -> tuple[bytes, str] | None:
        if poll_media.poll_of_reference(ref) is None:
            return None
        async with sessionmaker() as session:
            image = await poll_media.resolve(session, ref, CHANNEL)
        return (image.png, image.filename) if image is not None else None

    return fetch
