"""The real entry point: `python -m bot run|web` answers, and stops cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.channels.telegram.webhook import SECRET_HEADER
from tests.fakes.resident import wait_for

ROOT = Path(__file__).resolve().parent.parent


START = {"message": {
    "message_id": 1, "date": 0, "chat": {"id": 31337, "type": "private"},
    "from": {"id": 31337, "is_bot": False, "first_name": "P", "language_code": "en"},
    "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}
# What both modes say between the signal and the exit, in this order.
SHUTDOWN_LINES = [
    "bot.app: received {signal}, shutting down",
    "bot.app: stopping background work and closing connections",
    "bot.app: stopped",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _post_until_served(url: str, update: dict, secret: str) -> None:
    """The server listens a moment after setWebhook: knock until it answers."""
    async with aiohttp.ClientSession() as http:
        async with asyncio.timeout(60):
            while True:
                try:
                    async with http.post(url, json=update,
                                         headers={SECRET_HEADER: secret}) as response:
                        assert response.status == 200
                        return
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)


@pytest.mark.parametrize(("mode", "sig"), [
    ("run", signal.SIGTERM), ("run", signal.SIGINT),
    ("web", signal.SIGTERM), ("web", signal.SIGINT),
])
async def test_bot_process_serves_and_shuts_down_gracefully(tmp_path: Path, fake_api,
                                                           database_url: str, redis_url,
                                                           mode: str, sig: signal.Signals):
    port, secret = _free_port(), "process-secret_1"
    env = {
        **{k: v for k, v in os.environ.items()
           if not k.startswith(("BOT_", "DATABASE", "WEB"))},
        "BOT_TOKEN": "123456:" + "C" * 35,
        "TELEGRAM_API_BASE": fake_api.url,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url or "",
        "SCHEDULER_TICK_SECONDS": "0.5",
        "WEBHOOK_URL": "https://bot.example.org",
        "WEBHOOK_SECRET": secret,
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(  # noqa: ASYNC220 - the bot under test runs beside this loop
        [sys.executable, "-m", "bot", mode], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if mode == "run":
            await wait_for(lambda: fake_api.last_offset is not None, within=60)
            await fake_api.push_update(START)
        else:
            await wait_for(lambda: fake_api.webhook is not None, within=60)
            assert fake_api.webhook["url"] == "https://bot.example.org/telegram/webhook"
            await _post_until_served(f"http://127.0.0.1:{port}/telegram/webhook",
                                     {"update_id": 1, **START}, secret)
        await wait_for(lambda: bool(fake_api.to_chat(31337)), within=30)
        assert "Step 1 of 6" in (fake_api.to_chat(31337)[0].text or "")
        assert any(c.get("scope", {}).get("type") == "default" for c in fake_api.commands)
    finally:
        proc.send_signal(sig)
        _out, err = await asyncio.to_thread(proc.communicate, timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err
    said = [line.split(" ", 3)[-1] for line in err.splitlines() if " bot.app: " in line]
    expected = [line.format(signal=sig.name) for line in SHUTDOWN_LINES]
    assert said[-len(expected):] == expected, err


def _run_bot(tmp_path: Path, api_url: str, database_url: str) -> subprocess.CompletedProcess:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE"))},
        "BOT_TOKEN": "123456:" + "C" * 35,
        "TELEGRAM_API_BASE": api_url,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


async def test_a_refused_token_is_one_clear_line(tmp_path: Path, fake_api, database_url: str):
    fake_api.fail_next("deletewebhook", 401)
    result = await asyncio.to_thread(_run_bot, tmp_path, fake_api.url, database_url)
    assert result.returncode == 2
    assert "Telegram does not accept BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


async def test_unreachable_telegram_is_one_clear_line(tmp_path: Path, database_url: str):
    result = await asyncio.to_thread(_run_bot, tmp_path, "http://127.0.0.1:9", database_url)
    assert result.returncode == 1
    assert "cannot reach the Telegram Bot API at http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr
