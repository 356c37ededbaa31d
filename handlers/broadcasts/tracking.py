"""The progress message of a broadcast going out, edited in place while it goes (cosmetic:
the durable final report goes through the outbox)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.broadcasts.callbacks import ACTIONS
from handlers.broadcasts.screens import progress_screen
from handlers.kit.render_aiogram import inline_markup
from services import broadcasts
from services.i18n import Translator

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 3.0
PROGRESS_FOR_AT_MOST = timedelta(hours=6)
_trackers: set[asyncio.Task[None]] = set()


@dataclass(frozen=True, slots=True)
class ProgressTracking:
    """A settings section: whether this process edits a broadcast's progress message while
    it goes out (only where this process also delivers)."""

    enabled: bool = False


def track(bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], translator: Translator,
          language: str, chat_id: int, message_id: int, broadcast_id: int) -> None:
    """Start editing that message with the broadcast's figures, in the background."""
    task = asyncio.create_task(_track(bot, sessionmaker, translator, language, chat_id,
                                      message_id, broadcast_id))
    _trackers.add(task)
    task.add_done_callback(_trackers.discard)


async def _track(bot: Bot, sessionmaker: async_sessionmaker[AsyncSession],
                 translator: Translator, language: str, chat_id: int, message_id: int,
                 broadcast_id: int) -> None:
    """Edit the progress message in place until the broadcast is over."""
    tr = translator.for_language(language)
    deadline = asyncio.get_running_loop().time() + PROGRESS_FOR_AT_MOST.total_seconds()
    last = ""
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(PROGRESS_EVERY_SECONDS)
        try:
            async with sessionmaker() as session:
                broadcast = await broadcasts.get_broadcast(session, broadcast_id)
                figures = await broadcasts.progress(session, broadcast_id)
                screen = progress_screen(tr, broadcast, figures, ACTIONS)
                running = broadcasts.running(broadcast, figures)
            if screen.text != last:
                await bot.edit_message_text(screen.text, chat_id=chat_id, message_id=message_id,
                                            reply_markup=inline_markup(screen.rows))
                last = screen.text
            if not running:
                return
        except TelegramAPIError as exc:
            log.info("progress of broadcast %s not updated: %s", broadcast_id, exc)
        except Exception:
            log.exception("progress tracking of broadcast %s stopped", broadcast_id)
            return


async def stop_trackers() -> None:
    """Cancel progress trackers (process shutdown, tests)."""
    for task in list(_trackers):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
