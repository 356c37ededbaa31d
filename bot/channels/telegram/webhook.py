"""Telegram's webhook on the web app: secret-token check, then the dispatcher."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.app import Runtime
from bot.channels.telegram.client import on_startup
from bot.config import Settings
from bot.updates import parse_update
from bot.web import base_app
from services.i18n import get_translator

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


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


def mount(app: web.Application, rt: Runtime, secret: str) -> None:
    """Telegram's webhook route (WEBHOOK_PATH) on the web app."""
    SecretCheckedHandler(rt.dp, rt.telegram, secret).register(app, path=rt.settings.webhook_path)


def build_web_app(rt: Runtime, secret: str) -> web.Application:
    app = base_app(rt)
    mount(app, rt, secret)
    return app


def webhook_secret(settings: Settings) -> str:
    """WEBHOOK_SECRET, checked with WEBHOOK_URL before anything starts."""
    if settings.webhook_url is None or settings.webhook_secret is None:
        raise SystemExit("webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET in the settings")
    return settings.webhook_secret.get_secret_value()


async def prepare_webhook(rt: Runtime, app: web.Application) -> None:
    """Publish the bot's profile, point Telegram at WEBHOOK_URL + WEBHOOK_PATH, mount the
    route (Telegram posts only once the server listens, and retries until then)."""
    settings = rt.settings
    secret = webhook_secret(settings)
    assert settings.webhook_url is not None
    bot = rt.telegram
    await on_startup(bot, settings, get_translator(), rt.sessionmaker)
    await bot.set_webhook(
        settings.webhook_url.rstrip("/") + settings.webhook_path,
        secret_token=secret,
        allowed_updates=rt.dp.resolve_used_update_types(),
    )
    mount(app, rt, secret)

