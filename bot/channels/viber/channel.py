"""The Viber channel assembled from settings, and `attach_viber` that puts it on the web app.

`attach_viber(app, ...)` adds `POST VIBER_WEBHOOK_PATH` and `GET /media/...` to an aiohttp
app and starts the processor of stored callbacks; once the server listens,
`channel.register_webhook()` tells Viber where to post (Viber checks the URL at once). Nothing
here needs a Telegram token: a Viber-only deployment runs the same dispatcher.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import User
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.media import ROUTE, MediaStore
from bot.channels.viber.aliases import CHANNEL, AliasBook
from bot.channels.viber.client import Sender, ViberClient
from bot.channels.viber.errors import TransientError, ViberError
from bot.channels.viber.inbound import Inbound, welcome
from bot.channels.viber.keyboards import StoredKeyboards
from bot.channels.viber.outgoing import FileSource, Outgoing
from bot.channels.viber.processor import Processor
from bot.channels.viber.render import Links
from bot.channels.viber.renderer import ViberRenderer
from bot.channels.viber.session import ViberSession
from bot.channels.viber.sources import poll_charts, telegram_files
from bot.channels.viber.transport import ViberTransport
from bot.channels.viber.webhook import ViberWebhook
from bot.config import Settings
from bot.scheduler import worker_name
from handlers.kit.show import register_renderer
from services.aliases import ALIAS_BASE
from services.i18n import Translator, get_translator

log = logging.getLogger(__name__)

# The name handlers see as the bot's @username; links they build with it are rewritten.
INTERNAL_USERNAME = "hromada_viber"


def _derive(token: str, purpose: bytes) -> bytes:
    return hmac.new(token.encode(), purpose, hashlib.sha256).digest()


class LinkSource:
    """The bot's chat URI (for deep links), asked from Viber once and kept."""

    RETRY_SECONDS = 60.0

    def __init__(self, client: ViberClient, fallback: str, telegram_usernames: list[str]
                 ) -> None:
        self.client = client
        self.fallback = fallback
        self.usernames = [INTERNAL_USERNAME, *telegram_usernames]
        self._links: Links | None = None
        self._failed_at = 0.0

    async def __call__(self) -> Links:
        if self._links is not None:
            return self._links
        if time.monotonic() - self._failed_at > self.RETRY_SECONDS:
            try:
                info = await self.client.get_account_info()
                uri = str(info.get("uri") or "")
                if uri:
                    self._links = Links(uri, self.usernames)
                    return self._links
            except (ViberError, TransientError) as exc:
                log.warning("Viber account info unavailable (%s); deep links use the name", exc)
            self._failed_at = time.monotonic()
        return Links(self.fallback, self.usernames)


def _outgoing(settings: Settings, keyboards: StoredKeyboards,
              sources: Sequence[FileSource] = ()) -> Outgoing:
    if settings.viber_token is None:
        raise ValueError("the Viber channel needs VIBER_TOKEN")
    token = settings.viber_token.get_secret_value()
    client = ViberClient(token, Sender(settings.viber_bot_name, settings.viber_bot_avatar),
                         settings.viber_api_base)
    media = MediaStore(Path(settings.media_dir), _derive(token, b"media-links"),
                       settings.media_base_url, settings.media_url_ttl_days * 86400.0)
    usernames = [settings.bot_username] if settings.bot_username else []
    links = LinkSource(client, settings.viber_bot_name, usernames)
    return Outgoing(client, media, links, keyboards, _derive(token, b"viber-share-phone"),
                    sources)


def _telegram_downloads(settings: Settings) -> Bot | None:
    """A Telegram bot that only downloads files (none without BOT_TOKEN)."""
    if settings.bot_token is None:
        return None
    session = AiohttpSession()
    if settings.telegram_api_base:
        session.api = TelegramAPIServer.from_base(settings.telegram_api_base)
    return Bot(token=settings.bot_token.get_secret_value(), session=session)


def transport_from_settings(settings: Settings,
                            sessionmaker: async_sessionmaker[AsyncSession] | None = None
                            ) -> ViberTransport:
    """The registry's factory (bot/channels/registry.py) for a process that delivers without
    serving the webhook: no dispatcher, but the same database (the keyboards people were last
    shown, poll charts) and media store as the live channel, and Telegram's files when there
    is a BOT_TOKEN."""
    sources: list[FileSource] = []
    telegram = _telegram_downloads(settings)
    if sessionmaker is not None:
        sources.append(poll_charts(sessionmaker))
    if telegram is not None:
        sources.append(telegram_files(telegram))
    outgoing = _outgoing(settings, StoredKeyboards(sessionmaker), sources)
    return ViberTransport(outgoing, rate_per_second=settings.viber_rate_per_second,
                          closers=[telegram.session.close] if telegram is not None else [])


@dataclass
class ViberChannel:
    """Every piece of the channel in one process; `close()` ends them."""

    settings: Settings
    outgoing: Outgoing
    aliases: AliasBook
    bot: Bot
    inbound: Inbound
    processor: Processor
    webhook: ViberWebhook
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def client(self) -> ViberClient:
        return self.outgoing.client

    def transport(self) -> ViberTransport:
        """An outbox transport sharing this process's keyboards and client (which the channel
        closes)."""
        return ViberTransport(self.outgoing, rate_per_second=self.settings.viber_rate_per_second,
                              owns_client=False)

    def webhook_url(self) -> str | None:
        base = self.settings.viber_public_base
        return base + self.settings.viber_webhook_path if base else None

    async def register_webhook(self) -> bool:
        """Point Viber at our webhook (after the server listens); False without a URL."""
        url = self.webhook_url()
        if url is None:
            log.info("VIBER_WEBHOOK_URL is not set: Viber's webhook is left as it is")
            return False
        if not url.startswith("https://"):
            log.warning("Viber accepts only an HTTPS webhook with a trusted certificate: %s", url)
        await self.client.set_webhook(url)
        log.info("Viber webhook set to %s", url)
        return True

    def start(self, stop: asyncio.Event) -> asyncio.Task[Any]:
        task = asyncio.create_task(self.processor.run(stop), name="viber-callbacks")
        self.tasks.append(task)
        return task

    async def close(self) -> None:
        for task in self.tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for undo in self.closers:
            undo()
        await self.outgoing.keyboards.flush()  # what the last messages showed, for the others
        await self.inbound.close()
        await self.bot.session.close()
        await self.client.close()


def build_viber(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession],
                dp: Dispatcher, *, translator: Translator | None = None,
                worker: str | None = None, telegram: Bot | None = None) -> ViberChannel:
    """The channel; with `telegram` (the process's Telegram bot) it can also show Viber
    residents the files staff sent on Telegram."""
    translator = translator or get_translator()
    sources = [poll_charts(sessionmaker)]
    if telegram is not None:
        sources.append(telegram_files(telegram))
    outgoing = _outgoing(settings, StoredKeyboards(sessionmaker), sources)
    token = outgoing.client.token
    aliases = AliasBook(sessionmaker)
    bot_id = ALIAS_BASE + int.from_bytes(_derive(token, b"bot-id")[:5], "big")
    me = User(id=bot_id, is_bot=True, first_name=settings.viber_bot_name,
              username=INTERNAL_USERNAME)
    session = ViberSession(outgoing, aliases, me)
    bot = Bot(token=f"{bot_id}:viber", session=session,
              default=DefaultBotProperties(parse_mode=ParseMode.HTML,
                                           link_preview_is_disabled=True))
    inbound = Inbound(dp=dp, bot=bot, sessionmaker=sessionmaker, aliases=aliases,
                      outgoing=outgoing, translator=translator,
                      max_file_bytes=settings.appeal_max_file_mb * 1024 * 1024)
    processor = Processor(sessionmaker, inbound.handle, channel=CHANNEL,
                          worker=f"viber:{worker or worker_name()}",
                          concurrency=settings.polling_concurrency, prepare=inbound.prepare,
                          finish=outgoing.keyboards.flush)
    sender = outgoing.client.sender.as_json()
    hook = ViberWebhook(token, sessionmaker,
                        lambda event: welcome(event, translator, settings.city_name, sender),
                        processor.wake)
    channel = ViberChannel(settings, outgoing, aliases, bot, inbound, processor, hook)
    # Screens are drawn as Viber messages (media ones through the session's Bot API
    # calls); registered for this bot, so a deployment without Telegram (whose bot sets
    # the default renderer) shows them too.
    channel.closers.append(register_renderer(bot.id, ViberRenderer(session)))
    return channel


async def attach_viber(app: web.Application, *, settings: Settings,
                       sessionmaker: async_sessionmaker[AsyncSession], dp: Dispatcher,
                       stop: asyncio.Event, translator: Translator | None = None,
                       worker: str | None = None, start: bool = True,
                       telegram: Bot | None = None) -> ViberChannel:
    """Add the Viber routes to `app` and (unless `start=False`) run the processor until
    `stop`; the caller closes the channel (`await channel.close()`) at shutdown."""
    channel = build_viber(settings, sessionmaker, dp, translator=translator, worker=worker,
                          telegram=telegram)
    app.router.add_post(settings.viber_webhook_path, channel.webhook.handle)
    app.router.add_get(ROUTE, channel.outgoing.media.handle)
    if start:
        channel.start(stop)
    return channel
