"""Wiring: bot, storage, dispatcher with middlewares and routers, background services."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.commands import command_menus, set_bot_profile, set_resident_commands, set_staff_commands
from bot.config import Settings
from bot.dispatcher import build_dispatcher, build_storage
from bot.features import FEATURES, job_registry
from bot.limits import WithinTelegramLimits
from bot.scheduler import Ticker, build_scheduler, worker_name
from bot.updates import SkippingDispatcher
from services import outbox, roles
from services.db import make_engine, make_sessionmaker
from services.i18n import Translator, get_translator
from services.models import Channel

__all__ = ["Runtime", "build_bot", "build_dispatcher", "build_storage", "connect_redis",
           "on_startup", "run_polling", "runtime", "start_background"]

log = logging.getLogger(__name__)
# How long a stop waits for the updates being handled before closing connections.
SHUTDOWN_GRACE_SECONDS = 20.0


def build_bot(settings: Settings, session: AiohttpSession | None = None) -> Bot:
    if session is None:
        session = AiohttpSession()
        if settings.telegram_api_base:
            session.api = TelegramAPIServer.from_base(settings.telegram_api_base)
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is needed to talk to Telegram")
    # Nothing the bot sends may exceed Telegram's length limits (refused with 400 otherwise).
    session.middleware(WithinTelegramLimits())
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML,
                                     link_preview_is_disabled=True),
    )


def connect_redis(url: str | None) -> Any | None:
    if not url:
        return None
    from redis.asyncio import Redis

    return Redis.from_url(url)


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


@dataclass
class Runtime:
    """Everything one process runs, created and closed together."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    bot: Bot
    dp: SkippingDispatcher
    redis: Any | None = None
    scheduler: Ticker | None = None
    background: list[asyncio.Task[Any]] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def request_stop(self, sig: signal.Signals) -> None:
        """SIGTERM or SIGINT: finish what is running, close everything, exit 0."""
        if not self.stop.is_set():
            log.info("received %s, shutting down", sig.name)
            self.stop.set()


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _stop_on_signals(rt: Runtime) -> None:
    """One way to stop for polling and webhook alike, so both exit 0 with the same lines
    (a service manager marks a unit that exits 1 on SIGTERM as failed)."""
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        with suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, rt.request_stop, sig)


@asynccontextmanager
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    settings.ensure_data_dir()
    engine = make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(engine)
    redis = connect_redis(settings.redis_url)
    bot = build_bot(settings)
    dp = build_dispatcher(settings, sessionmaker, redis=redis)
    rt = Runtime(settings, engine, sessionmaker, bot, dp, redis)
    _stop_on_signals(rt)
    try:
        yield rt
    finally:
        rt.stop.set()
        log.info("stopping background work and closing connections")
        if rt.scheduler is not None:
            await rt.scheduler.stop()
        for feature in FEATURES:
            if feature.on_stop is not None:
                await feature.on_stop()
        await _finish_background(rt.background)
        await bot.session.close()
        if redis is not None:
            await redis.aclose()
        await engine.dispose()
        for sig in STOP_SIGNALS:
            with suppress(NotImplementedError):
                asyncio.get_running_loop().remove_signal_handler(sig)
        log.info("stopped")


async def _finish_background(tasks: list[asyncio.Task[Any]]) -> None:
    """Let background loops see the stop and end on their own; cancel only the ones that
    overrun, since a task cancelled inside a database session leaves its connection to be
    rolled back by the garbage collector after the engine is gone."""
    if not tasks:
        return
    _done, overrun = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_SECONDS)
    for task in overrun:
        log.warning("background task %s did not stop in time; cancelling it", task.get_name())
        task.cancel()
    for task in tasks:
        with suppress(asyncio.CancelledError, Exception):
            await task


async def start_background(rt: Runtime) -> None:
    """The scheduler tick and the outbox sender, when enabled for this process."""
    # Everything loaded so far lives as long as the process: keep it out of the cyclic GC,
    # whose full passes otherwise stall the sender for ~0.1 s at a time.
    gc.collect()
    gc.freeze()
    if rt.settings.scheduler_enabled:
        outbox.configure_retention(rt.settings.outbox_retention_days)
        rt.scheduler = build_scheduler(rt.sessionmaker, rt.settings.scheduler_tick_seconds,
                                       job_registry(rt.dp["sections"]))
        rt.scheduler.start()
    if rt.settings.delivery_enabled:
        from bot.delivery import start_delivery

        rt.background.append(start_delivery(rt.bot, rt.sessionmaker, rt.settings, rt.stop,
                                            worker_id=worker_name(), redis=rt.redis))


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
