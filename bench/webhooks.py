"""The webhook run of bench/throughput.py: one `python -m bot web` serving Telegram's and
Viber's webhooks, the same update mix through each, their rates and the process's peak RSS.

Telegram's webhook handles an update inside its request, so a wave ends when every post is
answered. Viber's answers 200 once the callback is stored and handles it afterwards, so a wave
ends when every resident got a message from the bot (on the fake Viber API). The same number
of requests is in flight for both.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import cpu_seconds, failed_updates, peak_rss_mb, stop_bot
from bench.mix import WAVES, message, press
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.viber_api import TOKEN as VIBER_TOKEN
from tests.fakes.viber_api import FakeViberAPI, compact, sign

ROOT = Path(__file__).resolve().parent.parent
BOT_TOKEN = "123456:" + "W" * 35
SECRET = "bench-webhook-secret"
IN_FLIGHT = 32  # requests posted at once (the polling run's concurrency)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _viber_user(i: int) -> str:
    return f"B{i:021d}="


def _viber_callback(fake: FakeViberAPI, user: str, what: str, payload: str) -> bytes:
    text = payload if what == "text" else "cb:" + payload  # a silent keyboard press
    return compact({"event": "message", "timestamp": int(time.time() * 1000),
                    "message_token": fake.next_token(), "silent": what == "press",
                    "sender": {"id": user, "name": "R", "language": "uk", "api_version": 10},
                    "message": {"type": "text", "text": text}})


class _Answered:
    """Who of a wave's residents the fake Viber API has sent something to."""

    def __init__(self, fake: FakeViberAPI) -> None:
        self.fake = fake
        self.seen: set[str] = set()
        self.index = len(fake.sent)

    def count(self) -> int:
        sent = self.fake.sent
        for item in sent[self.index:]:
            self.seen.add(item.receiver)
        self.index = len(sent)
        return len(self.seen)


async def _post_all(http: aiohttp.ClientSession, url: str, bodies: list[bytes],
                    headers: list[dict[str, str]]) -> None:
    limit = asyncio.Semaphore(IN_FLIGHT)

    async def post(body: bytes, head: dict[str, str]) -> None:
        async with limit, http.post(url, data=body, headers=head) as response:
            if response.status != 200:
                raise RuntimeError(f"{url} answered {response.status}")
            await response.read()

    await asyncio.gather(*(post(b, h) for b, h in zip(bodies, headers, strict=True)))


async def _telegram_waves(http: aiohttp.ClientSession, base: str, fake: FakeTelegramAPI,
                          residents: int, first_user: int) -> float:
    total = 0.0
    for step, (what, payload) in enumerate(WAVES):
        bodies, headers = [], []
        for i in range(residents):
            user = first_user + i
            update = (message(user, payload, step + 1) if what == "text"
                      else press(user, payload, 1000 + i))
            bodies.append(compact({"update_id": fake.next_update_id(), **update}))
            headers.append({"Content-Type": "application/json",
                            "X-Telegram-Bot-Api-Secret-Token": SECRET})
        started = time.perf_counter()
        await _post_all(http, base + "/telegram/webhook", bodies, headers)
        total += time.perf_counter() - started
    return total


async def _viber_waves(http: aiohttp.ClientSession, base: str, fake: FakeViberAPI,
                       proc: subprocess.Popen[bytes], residents: int, first_user: int) -> float:
    users = [_viber_user(first_user + i) for i in range(residents)]
    for user in users:
        fake.user(user).subscribed = True  # their first message subscribes them
    total = 0.0
    for what, payload in WAVES:
        bodies = [_viber_callback(fake, user, what, payload) for user in users]
        headers = [{"Content-Type": "application/json",
                    "X-Viber-Content-Signature": sign(body, VIBER_TOKEN)} for body in bodies]
        answered = _Answered(fake)
        started = time.perf_counter()
        await _post_all(http, base + "/viber/webhook", bodies, headers)
        while answered.count() < residents:
            if proc.poll() is not None:
                raise RuntimeError(f"the bot exited with {proc.returncode}")
            await asyncio.sleep(0.002)
        total += time.perf_counter() - started
    return total


def _environment(workdir: Path, telegram: FakeTelegramAPI, viber: FakeViberAPI,
                 port: int) -> dict[str, str]:
    env = {**os.environ, "BOT_TOKEN": BOT_TOKEN, "TELEGRAM_API_BASE": telegram.url,
           "WEBHOOK_URL": "https://bench.example", "WEBHOOK_SECRET": SECRET,
           "WEB_HOST": "127.0.0.1", "WEB_PORT": str(port),
           "VIBER_TOKEN": VIBER_TOKEN, "VIBER_API_BASE": viber.url,
           "VIBER_WEBHOOK_URL": f"http://127.0.0.1:{port}", "MEDIA_DIR": str(workdir / "media"),
           "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'webhooks.db'}",
           "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    env.pop("REDIS_URL", None)
    return env


async def run_webhooks(residents: int, workdir: Path) -> dict[str, Any]:
    """Run, print and return the figures of both webhooks in one process."""
    telegram, viber = FakeTelegramAPI(), FakeViberAPI()
    telegram.record_calls = False
    await telegram.start()
    await viber.start()
    port = _free_port()
    env = _environment(workdir, telegram, viber, port)
    await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot", "migrate"], env=env,
                            cwd=workdir, check=True, capture_output=True)
    log_path = workdir / "webhooks.log"
    log = log_path.open("w")
    # BENCH_PROFILE=<file>: the bot runs under cProfile, its statistics written there.
    profile = os.environ.get("BENCH_PROFILE")
    prof = ["-m", "cProfile", "-o", profile] if profile else []
    proc = subprocess.Popen([sys.executable, *prof, "-m", "bot", "web"],  # noqa: ASYNC220 - once
                            env=env, cwd=ROOT, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        async with asyncio.timeout(120):
            while viber.webhook_url is None:
                if proc.poll() is not None:
                    raise RuntimeError(f"the bot exited with {proc.returncode}")
                await asyncio.sleep(0.05)
        connector = aiohttp.TCPConnector(limit=IN_FLIGHT)
        async with aiohttp.ClientSession(connector=connector) as http:
            # Unmeasured first: the lazy models and code paths of both channels warm up.
            await _telegram_waves(http, base, telegram, 30, 9_000_000)
            await _viber_waves(http, base, viber, proc, 30, 9_000_000)
            cpu = cpu_seconds(proc.pid)
            tg_seconds = await _telegram_waves(http, base, telegram, residents, 10_000_000)
            tg_cpu = cpu_seconds(proc.pid) - cpu
            cpu = cpu_seconds(proc.pid)
            vb_seconds = await _viber_waves(http, base, viber, proc, residents, 10_000_000)
            vb_cpu = cpu_seconds(proc.pid) - cpu
        peak = peak_rss_mb(proc.pid)
    finally:
        stop_bot(proc)
        log.close()
        await viber.stop()
        await telegram.stop()
    updates = residents * len(WAVES)
    failures = failed_updates(log_path)
    figures = {"telegram_rate": updates / tg_seconds, "viber_rate": updates / vb_seconds,
               "telegram_cpu_ms": tg_cpu * 1000 / updates,
               "viber_cpu_ms": vb_cpu * 1000 / updates, "peak_rss_mb": peak,
               "failures": failures, "viber_problems": len(viber.problems)}
    ratio = figures["viber_rate"] / figures["telegram_rate"]
    print("webhooks, one `python -m bot web` serving both channels:")
    print(f"telegram webhook: {figures['telegram_rate']:8.1f} updates/s   "
          f"{figures['telegram_cpu_ms']:5.2f} ms CPU/update")
    print(f"viber webhook:    {figures['viber_rate']:8.1f} updates/s   "
          f"{figures['viber_cpu_ms']:5.2f} ms CPU/update")
    print(f"ratio viber/telegram: {ratio:.2f} (target >= 0.8) "
          f"{'OK' if ratio >= 0.8 else 'BELOW TARGET'}")
    print(f"peak RSS of the process serving both: {peak:.1f} MB")
    print(f"failed updates: {failures}, payloads Viber would refuse: {len(viber.problems)} "
          f"{'OK' if failures == 0 and not viber.problems else '(the rates above are void)'}")
    return figures
