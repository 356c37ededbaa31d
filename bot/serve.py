"""What `python -m bot run` and `python -m bot web` serve: every configured channel at once.

- `run`: Telegram by long polling (with BOT_TOKEN); with VIBER_TOKEN also the web app on
  WEB_HOST:WEB_PORT for Viber's webhook and media links.
- `web`: one web app with Telegram's webhook (with BOT_TOKEN: WEBHOOK_URL and WEBHOOK_SECRET
  needed) and Viber's (with VIBER_TOKEN).

Either runs on Viber alone when BOT_TOKEN is unset. The Viber channel hands the outbox its live
transport, so notifications keep the keyboard a person was last shown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.app import Runtime, runtime, start_background
from bot.config import Settings
from bot.web import base_app, serve_until_stopped

if TYPE_CHECKING:
    from bot.channels.viber import ViberChannel

log = logging.getLogger(__name__)


async def attach_viber_channel(rt: Runtime, app: web.Application) -> ViberChannel | None:
    """Viber's routes on `app`, its processor among the background work, its transport for
    the outbox; None without VIBER_TOKEN. Call before `start_background`."""
    if rt.settings.viber_token is None:
        return None
    from bot.channels.viber import attach_viber

    channel = await attach_viber(app, settings=rt.settings, sessionmaker=rt.sessionmaker,
                                 dp=rt.dp, stop=rt.stop, start=False, telegram=rt.bot)
    rt.closers.append(channel.close)
    # Among the background tasks, so a stop lets the callback in hand finish first.
    rt.background.append(channel.start(rt.stop))
    transport = channel.transport()
    rt.transports[transport.channel] = transport
    return channel


def _registering(channel: ViberChannel | None) -> Callable[[], Awaitable[object]] | None:
    """Viber's set_webhook once the server listens; a refusal is logged, the rest runs on."""
    if channel is None:
        return None

    async def register() -> None:
        from bot.channels.viber.errors import TransientError, ViberError

        try:
            await channel.register_webhook()
        except (ViberError, TransientError) as exc:
            log.error("Viber refused the webhook %s (%s): check VIBER_TOKEN, and that the URL "
                      "is public HTTPS with a trusted certificate", channel.webhook_url(), exc)

    return register


async def _until_one_ends(rt: Runtime, jobs: list[Coroutine[Any, Any, None]]) -> None:
    """Run the serving loops together; when one ends (a stop, or an error) the others are
    stopped too, and the first error is raised."""
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        rt.stop.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


async def run_polling(settings: Settings) -> None:
    """`python -m bot run`."""
    async with runtime(settings) as rt:
        jobs: list[Coroutine[Any, Any, None]] = []
        if rt.bot is not None:
            from bot.channels.telegram.polling import poll_until_stopped, prepare_polling

            await prepare_polling(rt)
            jobs.append(poll_until_stopped(rt))
        app = base_app(rt)
        viber = await attach_viber_channel(rt, app)
        if viber is not None:
            jobs.append(serve_until_stopped(rt, app, settings, listening=_registering(viber)))
        await start_background(rt)
        if rt.stop.is_set():  # a signal during start-up
            return
        await _until_one_ends(rt, jobs)


async def run_web(settings: Settings) -> None:
    """`python -m bot web`."""
    if settings.bot_token is not None:
        from bot.channels.telegram.webhook import webhook_secret

        webhook_secret(settings)  # both settings present, before anything starts
    async with runtime(settings) as rt:
        app = base_app(rt)
        if rt.bot is not None:
            from bot.channels.telegram.webhook import prepare_webhook

            await prepare_webhook(rt, app)
        viber = await attach_viber_channel(rt, app)
        await start_background(rt)
        await serve_until_stopped(rt, app, settings, listening=_registering(viber))
