"""`python -m bot chat`: the whole bot in one process with the terminal as its channel.

The same database, dispatcher, feature routers and scheduler as the live bot; an outbox
sender for the "terminal" channel only (so beside a live Telegram bot on the same database it
takes none of Telegram's rows); the person at the keyboard is one terminal account (`--as`),
staff with the roles `--staff` names (and only those), like `rasa shell` for Rasa.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from codecs import getincrementaldecoder
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.types import User
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import connect_redis
from bot.channels.telegram.render import TelegramRenderer
from bot.channels.terminal.account import ACCOUNT_ID, DEFAULT_ACCOUNT
from bot.channels.terminal.chat import TerminalChat
from bot.channels.terminal.commands import parse
from bot.channels.terminal.console import Console
from bot.channels.terminal.files import Files
from bot.channels.terminal.keys import Links
from bot.channels.terminal.session import TerminalSession
from bot.channels.terminal.transport import TerminalTransport
from bot.config import Settings
from bot.dispatcher import build_dispatcher
from bot.features import FEATURES, job_registry
from bot.outbox.run import sender_for
from bot.scheduler import Ticker, build_scheduler, worker_name
from handlers.kit.show import register_renderer
from services import aliases, outbox, residents, roles
from services.accounts import Account
from services.db import make_engine, make_sessionmaker
from services.i18n import get_translator
from services.models import Channel, ChannelAlias, Resident, Role, StaffRole

log = logging.getLogger(__name__)

CHANNEL = Channel.TERMINAL.value
# The bot's own id: below every alias, above every Telegram user id (services/aliases.py).
BOT_ID = aliases.ALIAS_BASE - 1
# The name handlers see as the bot's @username; links they build with it act in the chat.
INTERNAL_USERNAME = "hromada_terminal"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class SchemaMissing(Exception):
    """The database has no tables yet (`python -m bot migrate` was not run)."""


@dataclass(frozen=True, slots=True)
class Person:
    alias: int
    known: bool  # a resident already stands behind the account


async def prepare_account(sessionmaker: async_sessionmaker[AsyncSession], account_id: str,
                          staff: Sequence[Role]) -> Person:
    """The account's alias, and its roles made exactly `staff` (the flags of this run)."""
    async with sessionmaker() as session:
        try:
            await session.scalar(select(func.count()).select_from(ChannelAlias))
        except DBAPIError as exc:
            raise SchemaMissing(str(exc.orig)) from exc
        alias = await aliases.alias_for(session, CHANNEL, account_id)
        held = {Role(r) for r in await session.scalars(select(StaffRole.role).where(
            StaffRole.channel == CHANNEL, StaffRole.external_id == account_id))}
        actor = roles.actor_key("cli", "chat")
        for role in set(staff) - held:
            await roles.grant(session, actor, CHANNEL, account_id, role)
        for role in held - set(staff):
            await roles.revoke(session, actor, CHANNEL, account_id, role)
        resident: Resident | None = await residents.by_identity(session, CHANNEL, account_id)
        await session.commit()
    return Person(alias, resident is not None)


def _read_lines(fd: int, loop: asyncio.AbstractEventLoop,
                lines: asyncio.Queue[str | None]) -> None:
    """The reading thread: raw reads of the descriptor (no lock a daemon thread could hold at
    exit), decoded and split into lines; None at the end of input."""
    decoder = getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""
        pending += decoder.decode(chunk, final=not chunk)
        *complete, pending = pending.split("\n")
        for line in complete:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        if not chunk:
            if pending:
                loop.call_soon_threadsafe(lines.put_nowait, pending)
            loop.call_soon_threadsafe(lines.put_nowait, None)
            return


async def _next_line(lines: asyncio.Queue[str | None], stop: asyncio.Event) -> str | None:
    getting = asyncio.ensure_future(lines.get())
    stopping = asyncio.ensure_future(stop.wait())
    done, pending = await asyncio.wait({getting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return getting.result() if getting in done else None


class ChatProcess:
    """Everything `python -m bot chat` runs, started and stopped together."""

    def __init__(self, settings: Settings, *, account_id: str, staff: Sequence[Role],
                 stdin: TextIO, stdout: TextIO) -> None:
        # The person at the server's keyboard is no flood to slow down (and a pasted or
        # piped script would be).
        self.settings = settings = settings.model_copy(update={"throttle_rate": 0.0})
        self.account_id = account_id
        self.staff = staff
        self.stdin = stdin
        self.interactive = stdout.isatty() and stdin.isatty()
        self.tr = get_translator().for_language(settings.default_language)
        self.console = Console(stdout, self.tr, ansi=stdout.isatty())
        self.files = Files(Path(settings.media_dir), self.tr,
                           settings.appeal_max_file_mb * 1024 * 1024)
        self.links = Links([INTERNAL_USERNAME, settings.bot_username or ""])
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task[Any]] = []
        self.scheduler: Ticker | None = None

    async def run(self) -> int:
        settings = self.settings
        settings.ensure_data_dir()
        engine = make_engine(settings.database_url)
        sessionmaker = make_sessionmaker(engine)
        redis = connect_redis(settings.redis_url)
        undo_renderer = None
        try:
            try:
                person = await prepare_account(sessionmaker, self.account_id, self.staff)
            except SchemaMissing:
                print("chat: the database has no tables yet; run `python -m bot migrate` "
                      "first (or `make run`)", file=sys.stderr)
                return 2
            dp = build_dispatcher(settings, sessionmaker, redis=redis)
            me = User(id=BOT_ID, is_bot=True, first_name=settings.city_name,
                      username=INTERNAL_USERNAME)
            bot = Bot(token=f"{BOT_ID}:terminal",
                      session=TerminalSession(self.console, person.alias, me, self.files,
                                              self.links),
                      default=DefaultBotProperties(parse_mode=ParseMode.HTML,
                                                   link_preview_is_disabled=True))
            undo_renderer = register_renderer(bot.id, TelegramRenderer())
            chat = TerminalChat(dp=dp, bot=bot, console=self.console, files=self.files,
                                account=Account(CHANNEL, self.account_id, self.account_id),
                                alias=person.alias, name=_user_name(),
                                language=settings.default_language,
                                language_of=lambda: self._language(sessionmaker, dp, bot,
                                                                   person.alias))
            self._start_background(sessionmaker, dp, redis)
            await self._converse(chat, first_time=not person.known)
            return 0
        finally:
            self.stop.set()
            await self._stop_background()
            for feature in FEATURES:
                if feature.on_stop is not None:
                    await feature.on_stop()
            if undo_renderer is not None:
                undo_renderer()
            if redis is not None:
                await redis.aclose()
            await engine.dispose()

    async def _language(self, sessionmaker: async_sessionmaker[AsyncSession], dp: Any,
                        bot: Bot, alias: int) -> str:
        """The person's language as the dispatcher would choose it: their profile's, else
        the one chosen before consent (kept in the dialog's state), else the default."""
        async with sessionmaker() as session:
            resident = await residents.by_identity(session, CHANNEL, self.account_id)
        if resident is not None:
            return resident.language
        data = await dp.fsm.get_context(bot, chat_id=alias, user_id=alias).get_data()
        chosen = data.get("language")
        return chosen if isinstance(chosen, str) else self.settings.default_language

    def _start_background(self, sessionmaker: async_sessionmaker[AsyncSession], dp: Any,
                          redis: Any | None) -> None:
        settings = self.settings
        if settings.scheduler_enabled:
            outbox.configure_retention(settings.outbox_retention_days)
            self.scheduler = build_scheduler(sessionmaker, settings.scheduler_tick_seconds,
                                             job_registry(dp["sections"]))
            self.scheduler.start()
        if settings.delivery_enabled:
            transport = TerminalTransport(self.console, self.account_id, self.files, self.links)
            sender = sender_for(transport, sessionmaker, settings,
                                worker_id=f"terminal:{worker_name()}", redis=redis)
            self.tasks.append(asyncio.create_task(sender.run(self.stop),
                                                  name="outbox-sender-terminal"))

    async def _stop_background(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.tasks:
            _done, overrun = await asyncio.wait(self.tasks, timeout=20)
            for task in overrun:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _converse(self, chat: TerminalChat, *, first_time: bool) -> None:
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self.stop.set)
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        threading.Thread(target=_read_lines, args=(self.stdin.fileno(), loop, lines),
                         name="terminal-input", daemon=True).start()
        await chat.follow_language()
        self.console.note("terminal.intro", value=self.account_id)
        if first_time:
            await chat.say("/start")
        try:
            while not self.stop.is_set():
                if self.interactive:
                    self.console.prompt()
                line = await _next_line(lines, self.stop)
                if line is None:
                    if self.interactive:
                        self.console.end_line()
                    break
                item = parse(line, self.console.key_count)
                if item is not None and not await chat.handle(item):
                    break
        finally:
            for sig in STOP_SIGNALS:
                with contextlib.suppress(NotImplementedError):
                    loop.remove_signal_handler(sig)
        self.console.note("terminal.bye")


def _user_name() -> str:
    """The first name handlers see (Telegram's profile name): the login name, if any."""
    try:
        import getpass

        return getpass.getuser()[:64] or "Terminal"
    except (KeyError, OSError):
        return "Terminal"


async def run_chat(settings: Settings, *, account_id: str = DEFAULT_ACCOUNT,
                   staff: Sequence[Role] = (), stdin: TextIO | None = None,
                   stdout: TextIO | None = None) -> int:
    """Chat until the input ends, `:quit` or a stop signal; the exit code."""
    if not ACCOUNT_ID.match(account_id):
        raise ValueError(f"a terminal account id is 1-32 of [A-Za-z0-9_.-]: {account_id!r}")
    # Log lines would break into the conversation: warnings and errors only, on stderr.
    root = logging.getLogger()
    root.setLevel(max(root.level, logging.WARNING))
    process = ChatProcess(settings, account_id=account_id, staff=staff,
                          stdin=stdin or sys.stdin, stdout=stdout or sys.stdout)
    return await process.run()
