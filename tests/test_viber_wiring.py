"""The Viber channel wired into the running bot: the registry, the outbox worker, the process
(`python -m bot web` on Viber alone, `python -m bot run` with both channels), the inbox's
daily clean-up."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.channels import base
from bot.channels.registry import CHANNELS
from bot.channels.viber import ViberTransport
from bot.channels.viber import errors as viber_errors
from bot.outbox.run import configured_transports
from services import inbox
from services.db import utcnow
from services.models import Channel, InboundEvent
from tests.conftest import make_test_settings
from tests.fakes.resident import wait_for
from tests.fakes.viber_api import TOKEN, FakeViberAPI, ViberClientSim

if TYPE_CHECKING:
    from tests.viber_support import ViberApp

pytest_plugins = ("tests.viber_support",)
ROOT = Path(__file__).resolve().parent.parent


def test_viber_raises_the_contract_errors_themselves():
    for name in ("TransientError", "RetryLater", "Unreachable", "Rejected"):
        assert getattr(viber_errors, name) is getattr(base, name)
    busy = viber_errors.error_for(12, "tooManyRequests")
    assert isinstance(busy, base.RetryLater) and busy.whole_account and busy.seconds == 60
    assert isinstance(viber_errors.error_for(6, "notSubscribed"), base.Unreachable)
    assert isinstance(viber_errors.error_for(3, "badData"), base.Rejected)
    assert str(busy) == "Viber status 12: tooManyRequests"


async def test_the_registry_builds_viber_only_with_its_token(database_url, fake_api):
    assert Channel.VIBER.value in CHANNELS
    telegram_only = make_test_settings(database_url, fake_api.url, None)
    assert [t.channel for t in configured_transports(telegram_only)] == ["telegram"]
    both = make_test_settings(database_url, fake_api.url, None, viber_token=SecretStr(TOKEN),
                              viber_rate_per_second=7)
    transports = configured_transports(both)
    assert [t.channel for t in transports] == ["telegram", "viber"]
    viber = transports[1]
    assert isinstance(viber, ViberTransport) and viber.rate_per_second == 7
    viber_only = make_test_settings(database_url, fake_api.url, None, bot_token=None,
                                    viber_token=SecretStr(TOKEN))
    assert [t.channel for t in configured_transports(viber_only)] == ["viber"]
    for transport in transports:
        await transport.close()


async def test_the_live_channel_transport_replaces_the_registry_one(viber: ViberApp):
    live = viber.channel.transport()
    chosen = configured_transports(viber.settings, transports={"viber": live})
    assert [t.channel for t in chosen] == ["telegram", "viber"] and chosen[1] is live
    await live.close()  # the channel owns the client: still open for the channel
    olena = viber.resident()
    await olena.onboard()
    assert olena.sent
    for transport in chosen[:1]:
        await transport.close()


async def test_handled_callbacks_are_purged_daily_pending_ones_kept(viber: ViberApp):
    olena = viber.resident()
    await olena.onboard()  # every callback handled
    await olena.fake.post({"event": "message", "timestamp": 1, "message_token": 77,
                           "sender": olena.user.as_json(),
                           "message": {"type": "text", "text": "not yet handled"}})
    registry = viber.telegram.jobs
    job = registry.periodic["inbox.purge_finished"]
    async with viber.telegram.sessionmaker() as session:
        before = len((await session.scalars(select(InboundEvent.id))).all())
        # Within two days a redelivery is still recognised: nothing goes.
        await job.handler(registry.context(session, utcnow() + timedelta(days=1)))
        await session.commit()
        assert len((await session.scalars(select(InboundEvent.id))).all()) == before
        await job.handler(registry.context(session, utcnow() + timedelta(days=3)))
        await session.commit()
        left = (await session.scalars(select(InboundEvent.dedupe_key))).all()
    assert before > 1 and left == ["77"]
    async with viber.telegram.sessionmaker() as session:
        assert await inbox.pending_count(session, "viber") == 1


# ---- the real process --------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(database_url: str, redis_url: str | None, fake_viber: FakeViberAPI, port: int,
         **extra: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items()
           if not k.startswith(("BOT_", "DATABASE", "WEB", "VIBER", "PUBLIC"))},
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url or "",
        "SCHEDULER_TICK_SECONDS": "0.5",
        "VIBER_TOKEN": TOKEN,
        "VIBER_API_BASE": fake_viber.url,
        "VIBER_WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "VIBER_BOT_NAME": "Громада",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "PYTHONPATH": str(ROOT),
        **extra,
    }


async def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _out, err = await asyncio.to_thread(proc.communicate, timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err
    assert err.rstrip().endswith("bot.app: stopped"), err
    return err


async def _talk_to_the_process(fake_viber: FakeViberAPI) -> ViberClientSim:
    """A Viber resident opens the chat and taps Start; the process answers him."""
    await wait_for(lambda: fake_viber.webhook_url is not None, within=60)
    olena = ViberClientSim(fake_viber, fake_viber.user("jc9HsWTZ2Yf2NkRZ8KcNug=="))
    welcome = await olena.open_chat()
    assert welcome is not None and olena.button("Почати")["ActionBody"] == "/start"
    await olena.press("Почати")
    assert olena.last_status == 200
    await wait_for(lambda: bool(olena.sent), within=30)
    assert "Крок 1 з 6" in olena.last.text
    return olena


async def test_web_runs_on_viber_alone(tmp_path: Path, fake_viber: FakeViberAPI,
                                       database_url: str, redis_url):
    port = _free_port()
    proc = subprocess.Popen(  # noqa: ASYNC220 - the bot under test runs beside this loop
        [sys.executable, "-m", "bot", "web"], cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        env=_env(database_url, redis_url, fake_viber, port, MEDIA_DIR=str(tmp_path / "media")))
    try:
        await _talk_to_the_process(fake_viber)
        assert fake_viber.webhook is not None
        assert fake_viber.webhook["url"] == f"http://127.0.0.1:{port}/viber/webhook"
    finally:
        err = await _stop(proc)
    assert "BOT_TOKEN" not in err


async def test_run_polls_telegram_and_serves_viber_beside_it(
        tmp_path: Path, fake_api, fake_viber: FakeViberAPI, database_url: str, redis_url):
    port = _free_port()
    env = _env(database_url, redis_url, fake_viber, port, BOT_TOKEN="123456:" + "C" * 35,
               TELEGRAM_API_BASE=fake_api.url, MEDIA_DIR=str(tmp_path / "media"))
    proc = subprocess.Popen(  # noqa: ASYNC220 - the bot under test runs beside this loop
        [sys.executable, "-m", "bot", "run"], cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env)
    try:
        await wait_for(lambda: fake_api.last_offset is not None, within=60)
        await _talk_to_the_process(fake_viber)
        await fake_api.push_update({"message": {
            "message_id": 1, "date": 0, "chat": {"id": 31337, "type": "private"},
            "from": {"id": 31337, "is_bot": False, "first_name": "P", "language_code": "en"},
            "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}})
        await wait_for(lambda: bool(fake_api.to_chat(31337)), within=30)
    finally:
        await _stop(proc)


def test_no_token_at_all_is_one_clear_line(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "VIBER"))}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-m", "bot", "web"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "VIBER_TOKEN for a bot on Viber alone" in result.stderr


@pytest.mark.parametrize("name", ["VIBER_BOT_AVATAR", "VIBER_AVATAR_URL"])
def test_the_avatar_setting_keeps_its_older_name(monkeypatch, name: str):
    from bot.config import Settings

    monkeypatch.setenv(name, "https://rada.example/avatar.jpg")
    assert Settings(_env_file=None).viber_bot_avatar == "https://rada.example/avatar.jpg"  # type: ignore[call-arg]


def test_webhook_and_media_bases_fall_back_on_each_other(database_url):
    settings = make_test_settings(database_url, "http://x", None,
                                  viber_webhook_url="https://bot.rada.example/")
    assert settings.viber_public_base == settings.media_base_url == "https://bot.rada.example"
    settings = make_test_settings(database_url, "http://x", None,
                                  public_base_url="https://files.rada.example",
                                  viber_webhook_url="https://bot.rada.example")
    assert settings.media_base_url == "https://files.rada.example"
    assert settings.viber_public_base == "https://bot.rada.example"


async def test_callbacks_arriving_together_are_stored_together_duplicates_once(
        viber: ViberApp):
    users = [viber.fake.user(f"G{i:021d}=") for i in range(20)]
    for user in users:
        user.subscribed = True  # writing to the bot subscribes
    events = [{"event": "message", "timestamp": 1, "message_token": 9_000 + i,
               "sender": user.as_json(), "message": {"type": "text", "text": "/help"}}
              for i, user in enumerate(users)]
    events.append(dict(events[3]))  # Viber redelivers one while the first is in flight
    answers = await asyncio.gather(*(viber.fake.post(event) for event in events))
    assert [status for status, _ in answers] == [200] * 21
    counts = viber.channel.webhook.counts
    assert (counts["stored"], counts["duplicate"]) == (20, 1)
    async with viber.telegram.sessionmaker() as session:
        keys = (await session.scalars(select(InboundEvent.dedupe_key))).all()
    assert sorted(keys) == sorted(str(9_000 + i) for i in range(20))
    await viber.drain()
    for user in users:
        assert viber.fake.to(user.id), "every stored callback is handled"
