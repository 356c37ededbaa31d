"""Webhook mode: the secret token guards the endpoint; `/healthz` checks the database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.app import Runtime
from bot.channels.telegram.webhook import SECRET_HEADER, build_web_app
from services.db import make_engine

SECRET = "s3cret-token_ABC"


@pytest.fixture
async def web_server(bot_app) -> AsyncIterator[tuple[str, object]]:
    rt = Runtime(bot_app.settings, make_engine(bot_app.settings.database_url),
                 bot_app.sessionmaker, bot_app.bot, bot_app.dp)
    app = build_web_app(rt, SECRET)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", bot_app
    await runner.cleanup()
    await rt.engine.dispose()


def _start_update(update_id: int, user_id: int) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": 1, "date": 0, "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "A", "language_code": "uk"},
        "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}


async def test_wrong_or_missing_secret_is_refused(web_server):
    url, app = web_server
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "wrong"}):
            async with http.post(url + app.settings.webhook_path, json=_start_update(1, 9001),
                                 headers=headers) as response:
                assert response.status == 401
    assert app.fake.to_chat(9001) == []


async def test_right_secret_processes_the_update(web_server):
    url, app = web_server
    async with aiohttp.ClientSession() as http, http.post(
        url + app.settings.webhook_path, json=_start_update(2, 9002),
        headers={SECRET_HEADER: SECRET},
    ) as response:
        assert response.status == 200
    assert "Крок 1 з 6" in (app.fake.to_chat(9002)[-1].text or "")


async def test_healthz_reports_the_database(web_server):
    url, _app = web_server
    async with aiohttp.ClientSession() as http, http.get(url + "/healthz") as response:
        assert response.status == 200
        assert (await response.json()) == {"status": "ok", "database": "ok"}


async def test_healthz_fails_when_the_database_is_gone(bot_app):
    broken = make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    from services.db import make_sessionmaker

    rt = Runtime(bot_app.settings, broken, make_sessionmaker(broken), bot_app.bot, bot_app.dp)
    runner = web.AppRunner(build_web_app(rt, SECRET))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as http, \
                http.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 503
    finally:
        await runner.cleanup()
        await broken.dispose()


@pytest.mark.parametrize("body", [
    b"{not json",
    b"\xff\xfe garbage",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"update_id": 7, "message": {"reply_markup": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
    b'{"update_id": 8, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, '
    b'"type": "private"}, "reply_markup": {"inline_keyboard": ' + b"[" * 900 + b"]" * 900
    + b"}}}",
    b'{"update_id": "not a number"}',
    b"[]",
    b"null",
])
async def test_a_malformed_body_with_the_right_secret_is_refused_without_a_traceback(
        web_server, caplog, body: bytes):
    url, app = web_server
    async with aiohttp.ClientSession() as http:
        async with http.post(url + app.settings.webhook_path, data=body,
                             headers={SECRET_HEADER: SECRET,
                                      "Content-Type": "application/json"}) as response:
            assert response.status == 400
        # The next good update is served as usual.
        async with http.post(url + app.settings.webhook_path, json=_start_update(3, 9003),
                             headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 200
    assert "Крок 1 з 6" in (app.fake.to_chat(9003)[-1].text or "")
    assert not [r for r in caplog.records if r.exc_info or r.levelname in ("ERROR", "CRITICAL")]
    assert any("not an update" in r.getMessage() or "could not be read" in r.getMessage()
               for r in caplog.records)
