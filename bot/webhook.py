"""Webhook mode on aiohttp: secret-token check, `/healthz`, graceful shutdown."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api import votes as votes_api
from bot.app import Runtime, on_startup, runtime, start_background
from bot.config import Settings
from bot.updates import parse_update
from services.i18n import get_translator

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SESSIONMAKER_KEY = web.AppKey("sessionmaker", async_sessionmaker)


class SecretCheckedHandler(SimpleRequestHandler):
    """Refuses any request without the right secret (401) or without an update in it (400)
    before it reaches the dispatcher."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, secret: str, **kwargs: Any) -> None:
        super().__init__(dispatcher, bot, handle_in_background=False, secret_token=secret,
                         **kwargs)
        self._secret = secret

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            return web.json_response({"ok": False, "error": "unauthorized"}, status=401)
        bot = await self.resolve_bot(request)
        update = read_update(await request.read(), bot)
        if update is None:
            return web.json_response({"ok": False, "error": "bad request"}, status=400)
        result: TelegramMethod[Any] | None = await self.dispatcher.feed_webhook_update(
            bot, update, **self.data)
        return web.Response(body=self._build_response_writer(bot=bot, result=result))


def read_update(body: bytes, bot: Bot) -> Update | None:
    """The update in a request body; None (logged once, no traceback) for anything else:
    not JSON, not UTF-8, nested past the parser's depth, or not shaped like an update."""
    try:
        raw = bot.session.json_loads(body)
    except (ValueError, RecursionError) as exc:
        log.warning("refused a webhook body that is not an update: unreadable JSON (%s)",
                    type(exc).__name__)
        return None
    return parse_update(raw, bot)


async def healthz(request: web.Request) -> web.Response:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app[SESSIONMAKER_KEY]
    try:
        async with sessionmaker() as session:
            await session.execute(text("SELECT 1"))
    except Exception:
        log.exception("health check: database unreachable")
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


def build_web_app(rt: Runtime, secret: str) -> web.Application:
    app = web.Application()
    app[SESSIONMAKER_KEY] = rt.sessionmaker
    app.router.add_get("/healthz", healthz)
    votes_api.register(app, rt.sessionmaker)
    SecretCheckedHandler(rt.dp, rt.bot, secret).register(app, path=rt.settings.webhook_path)
    return app


async def run_webhook(settings: Settings) -> None:
    if settings.webhook_url is None or settings.webhook_secret is None:
        raise SystemExit("webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET in the settings")
    secret = settings.webhook_secret.get_secret_value()
    async with runtime(settings) as rt:
        await on_startup(rt.bot, settings, get_translator(), rt.sessionmaker)
        await rt.bot.set_webhook(
            settings.webhook_url.rstrip("/") + settings.webhook_path,
            secret_token=secret,
            allowed_updates=rt.dp.resolve_used_update_types(),
        )
        await start_background(rt)
        app = build_web_app(rt, secret)
        # Signals are the runtime's (aiohttp's own handler exits with status 1).
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, settings.web_host, settings.web_port)
        await site.start()
        log.info("webhook server on %s:%s", settings.web_host, settings.web_port)
        try:
            await rt.stop.wait()
        finally:
            await runner.cleanup()
            log.info("webhook server stopped")
