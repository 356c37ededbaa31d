"""Long polling: `python -m bot run`."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from bot.app import SHUTDOWN_GRACE_SECONDS, runtime, start_background
from bot.channels.telegram.client import on_startup
from bot.config import Settings
from services.i18n import get_translator

log = logging.getLogger(__name__)


async def run_polling(settings: Settings) -> None:
    async with runtime(settings) as rt:
        await rt.bot.delete_webhook(drop_pending_updates=False)
        await on_startup(rt.bot, settings, get_translator(), rt.sessionmaker)
        await start_background(rt)
        if rt.stop.is_set():  # a signal during start-up
            return
        log.info("polling started")
        polling = asyncio.create_task(rt.dp.start_polling(
            rt.bot, handle_signals=False, close_bot_session=False,
            tasks_concurrency_limit=settings.polling_concurrency))
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
