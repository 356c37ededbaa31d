"""The aiohttp web app: `/healthz`, and whatever routes the channels mount on it (Telegram's
webhook, Viber's webhook and media links); served until the runtime's stop."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api import votes as votes_api
from bot.app import Runtime
from bot.config import Settings

log = logging.getLogger(__name__)
SESSIONMAKER_KEY = web.AppKey("sessionmaker", async_sessionmaker)


async def healthz(request: web.Request) -> web.Response:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app[SESSIONMAKER_KEY]
    try:
        async with sessionmaker() as session:
            await session.execute(text("SELECT 1"))
    except Exception:
        log.exception("health check: database unreachable")
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


def base_app(rt: Runtime) -> web.Application:
    """The app with `/healthz`; channels add their webhook routes to it."""
    app = web.Application()
    app[SESSIONMAKER_KEY] = rt.sessionmaker
    app.router.add_get("/healthz", healthz)
    votes_api.register(app, rt.sessionmaker)
    return app


async def serve_until_stopped(rt: Runtime, app: web.Application, settings: Settings, *,
                              listening: Callable[[], Awaitable[object]] | None = None) -> None:
    """Listen on WEB_HOST:WEB_PORT until the runtime is asked to stop; `listening` runs once
    the server accepts requests (Viber checks its webhook URL at once)."""
    # Signals are the runtime's (aiohttp's own handler exits with status 1).
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.web_host, settings.web_port)
    await site.start()
    log.info("webhook server on %s:%s", settings.web_host, settings.web_port)
    try:
        if listening is not None:
            await listening()
        await rt.stop.wait()
    finally:
        await runner.cleanup()
        log.info("webhook server stopped")
