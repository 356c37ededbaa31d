"""Shared by the Viber tests: the bot's web app with the Viber channel on loopback, wired to
the same dispatcher (and database) as the Telegram test bot, and Viber users that talk to it.

A test module loads the fixtures with `pytest_plugins = ("tests.viber_support",)`.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr
from sqlalchemy import select

from bot.channels.viber import ViberChannel, attach_viber
from bot.config import Settings
from services import roles as roles_service
from services.models import Channel, ChannelIdentity, Resident, Role
from tests.conftest import BotApp
from tests.fakes.viber_api import TOKEN, FakeViberAPI, ViberClientSim

ViberFactory = Callable[..., Awaitable["ViberApp"]]


@dataclass
class ViberApp:
    """The web app serving Viber callbacks and media, beside the Telegram test bot."""

    fake: FakeViberAPI
    telegram: BotApp
    channel: ViberChannel
    settings: Settings
    base_url: str
    stop: asyncio.Event
    runner: web.AppRunner
    media_dir: Path
    users: list[ViberClientSim] = field(default_factory=list)

    @property
    def webhook_url(self) -> str:
        return self.base_url + self.settings.viber_webhook_path

    def resident(self, user_id: str = "jc9HsWTZ2Yf2NkRZ8KcNug==", name: str = "Олена",
                 language: str = "uk") -> ViberClientSim:
        sim = ViberClientSim(self.fake, self.fake.user(user_id, name=name, language=language),
                             settle=self.drain)
        self.users.append(sim)
        return sim

    async def drain(self) -> int:
        return await self.channel.processor.drain()

    async def deliver(self) -> int:
        """Run a Viber outbox sender (the live channel's transport) until nothing is ready."""
        from bot.channels.viber import ViberTransport
        from bot.outbox.worker import Sender

        transport = ViberTransport(self.channel.outgoing, rate_per_second=1000,
                                   owns_client=False)
        return await Sender(transport, self.telegram.sessionmaker,
                            worker_id="test-viber-sender").drain()

    async def make_staff(self, viber_id: str, role: Role) -> None:
        async with self.telegram.sessionmaker() as session:
            await roles_service.grant(session, "test", Channel.VIBER, viber_id, role)
            await session.commit()

    async def identity(self, viber_id: str) -> ChannelIdentity | None:
        async with self.telegram.sessionmaker() as session:
            return await session.scalar(select(ChannelIdentity).where(
                ChannelIdentity.channel == "viber", ChannelIdentity.external_id == viber_id))

    async def resident_of(self, viber_id: str) -> Resident | None:
        identity = await self.identity(viber_id)
        if identity is None:
            return None
        async with self.telegram.sessionmaker() as session:
            return await session.get(Resident, identity.resident_id)


def viber_settings(base: Settings, base_url: str, media_dir: Path, fake: FakeViberAPI,
                   **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "viber_token": SecretStr(TOKEN), "viber_api_base": fake.url,
        "public_base_url": base_url, "media_dir": str(media_dir),
        "viber_bot_name": "Громада", **overrides}
    return base.model_copy(update=values)


@pytest.fixture
async def fake_viber() -> AsyncIterator[FakeViberAPI]:
    fake = FakeViberAPI()
    await fake.start()
    yield fake
    await fake.stop()
    assert fake.problems == [], f"the bot sent what Viber refuses: {fake.problems}"


@pytest.fixture
async def viber_factory(bot_app_factory: Callable[..., Awaitable[BotApp]],
                        fake_viber: FakeViberAPI, tmp_path: Path
                        ) -> AsyncIterator[ViberFactory]:
    made: list[ViberApp] = []

    async def factory(telegram: BotApp | None = None, *, register: bool = True,
                      worker: str = "test-viber", share_telegram_files: bool = False,
                      **overrides: Any) -> ViberApp:
        media_dir = tmp_path / "media"
        # One media folder for both channels, as one deployment has.
        telegram = telegram or await bot_app_factory(media_dir=str(media_dir))
        # The socket first: the settings need the public URL before the routes are frozen.
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings = viber_settings(telegram.settings, base_url, media_dir, fake_viber,
                                  **overrides)
        app = web.Application()
        stop = asyncio.Event()
        channel = await attach_viber(app, settings=settings, sessionmaker=telegram.sessionmaker,
                                     dp=telegram.dp, stop=stop, worker=worker, start=False,
                                     telegram=telegram.bot if share_telegram_files else None)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        viber = ViberApp(fake_viber, telegram, channel, settings, base_url, stop, runner,
                         media_dir)
        made.append(viber)
        if register:
            assert await channel.register_webhook()
        return viber

    yield factory
    for viber in made:
        viber.stop.set()
        await viber.channel.close()
        await viber.runner.cleanup()


@pytest.fixture
async def viber(viber_factory: ViberFactory) -> ViberApp:
    return await viber_factory()
