"""Long polling: how `python -m bot run` takes Telegram's updates (bot/serve.py runs it)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from bot.app import SHUTDOWN_GRACE_SECONDS, Runtime
from bot.channels.telegram.client import on_startup
from services.i18n import get_translator

log = logging.getLogger(__name__)


async def prepare_polling(rt: Runtime) -> None:
    """No webhook (Telegram refuses getUpdates beside one); the bot's profile published."""
    bot = rt.telegram
    await bot.delete_webhook(drop_pending_updates=False)
    await on_startup(bot, rt.settings, get_translator(), rt.sessionmaker)


async def poll_until_stopped(rt: Runtime) -> None:
    """Take updates until the runtime's stop; then let the ones in hand finish."""
    bot = rt.telegram
    log.info("polling started")
    polling = asyncio.create_task(rt.dp.start_polling(
        bot, handle_signals=False, close_bot_session=False,
        tasks_concurrency_limit=rt.settings.polling_concurrency))
    stopping = asyncio.create_task(rt.stop.wait())
    await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not polling.done():
        try:
            await rt.dp.stop_polling()
        except RuntimeError:  # stopped before polling had begun
            polling.cancel()
    with suppress(asyncio.CancelledError):
        await polling
    await rt.dp.wait_idle(within=SHUTDOWN_GRACE_SECONDS)

