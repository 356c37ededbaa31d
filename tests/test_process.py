"""The real entry point: `python -m bot run` answers, delivers, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.fakes.resident import wait_for

ROOT = Path(__file__).resolve().parent.parent


async def test_bot_process_polls_and_shuts_down_gracefully(tmp_path: Path, fake_api,
                                                          database_url: str, redis_url):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE"))},
        "BOT_TOKEN": "123456:" + "C" * 35,
        "TELEGRAM_API_BASE": fake_api.url,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url or "",
        "SCHEDULER_TICK_SECONDS": "0.5",
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(  # noqa: ASYNC220 - the bot under test runs beside this loop
        [sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        await wait_for(lambda: fake_api.last_offset is not None, within=60)
        await fake_api.push_update({"message": {
            "message_id": 1, "date": 0, "chat": {"id": 31337, "type": "private"},
            "from": {"id": 31337, "is_bot": False, "first_name": "P", "language_code": "en"},
            "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}})
        await wait_for(lambda: bool(fake_api.to_chat(31337)), within=30)
        assert "Step 1 of 6" in (fake_api.to_chat(31337)[0].text or "")
        assert any(c.get("scope", {}).get("type") == "default" for c in fake_api.commands)
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = await asyncio.to_thread(proc.communicate, timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


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
