"""Cross-cutting concerns: private chats only, one DB session per update, who the user is,
throttling."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.flags import get_flag
from aiogram.dispatcher.middlewares.user_context import (
    UserContextMiddleware as AiogramUserContext,
)
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import CommandStart
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
    Update,
    User,
)
from aiogram.utils.callback_answer import CallbackAnswer, CallbackAnswerMiddleware
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.telegram.links import private_chat_url
from bot.config import Settings
from services import residents, roles
from services.accounts import Account
from services.db import has_writes
from services.i18n import Translator, normalize_language
from services.models import Channel

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class PrivateChatsOnlyMiddleware(BaseMiddleware):
    """Keeps every conversation in the resident's private chat with the bot.

    In a group the bot would show a resident's name, address and dialogs to everybody, so
    there it answers only `/start`, with a button to the private chat, and stays silent
    otherwise (a pressed button is answered without a word). An update without a sender
    has nobody to talk to. Channel posts and inline queries pass untouched.
    """

    GROUPS = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})
    _start = CommandStart(ignore_case=True)

    def __init__(self, translator: Translator, settings: Settings) -> None:
        self.translator = translator
        self.settings = settings

    async def __call__(self, handler: Handler, event: TelegramObject,
                       data: dict[str, Any]) -> Any:
        if not isinstance(event, Update) or event.channel_post or event.edited_channel_post:
            return await handler(event, data)
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        if chat is not None and chat.type in self.GROUPS:
            try:
                if event.message is not None and user is not None:
                    await self._invite(event.message, user, data["bot"])
                elif event.callback_query is not None:
                    await event.callback_query.answer()
            except TelegramAPIError as exc:  # e.g. no right to write in that group: stay quiet
                log.info("could not answer in group %s: %s", chat.id, exc.message)
            return None
        if user is None and (event.message or event.edited_message or event.callback_query):
            return None
        return await handler(event, data)

    async def _invite(self, message: Message, user: User, bot: Bot) -> None:
        """`/start` in a group: a button that opens the private chat (same deep link)."""
        matched = await self._start(message, bot)
        if not isinstance(matched, dict):
            return
        username = self.settings.bot_username or (await bot.me()).username or ""
        url = private_chat_url(username, matched["command"].args)
        tr = self.translator.for_language(normalize_language(user.language_code))
        await message.answer(tr("group.private_only"), reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=tr("group.open_private"), url=url)]]))


class OnePersonAtATimeMiddleware(BaseMiddleware):
    """Handles one person's updates in the order they arrived.

    Polling runs updates as concurrent tasks; without this a quick second tap could overtake
    the first (answering step 3 before step 2 was saved). Different people still run in parallel.
    """

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}

    async def __call__(self, handler: Handler, event: TelegramObject,
                       data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        lock = self._locks.setdefault(user.id, asyncio.Lock())
        try:
            async with lock:
                return await handler(event, data)
        finally:
            if not lock.locked() and not lock._waiters:  # nobody queued behind: forget it
                self._locks.pop(user.id, None)


class DbSessionMiddleware(BaseMiddleware):
    """Hands every update one `AsyncSession`; commits after the handler, rolls back on error."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject,
                       data: dict[str, Any]) -> Any:
        async with self.sessionmaker() as session:
            data["session"] = session
            try:
                result = await handler(event, data)
            except BaseException:
                await session.rollback()
                raise
            if has_writes(session):
                await session.commit()
            return result


class UserContextMiddleware(BaseMiddleware):
    """Loads the resident and staff roles behind the sender and binds texts to their language.

    Before consent nothing is stored, so the language lives in the FSM data until then.
    """

    def __init__(self, translator: Translator, settings: Settings) -> None:
        self.translator = translator
        self.settings = settings
        self.role_cache = roles.RoleCache()
        # One process owns a SQLite file, so its own writes are all the cache must notice.
        self.profiles = residents.ProfileCache(enabled=settings.is_sqlite)

    async def look_ahead(self, session: AsyncSession, channel: str,
                         external_ids: Sequence[str]) -> None:
        """The profiles behind a batch of updates (a polling batch, a claimed batch of Viber
        callbacks) in one query: a burst of taps by people this process has not seen lately
        (after a broadcast) then asks no query per tap for them. Only where profiles are kept
        (one process on SQLite)."""
        if self.profiles.enabled and len(external_ids) > 1:
            await self.profiles.prefetch(session, channel, external_ids)

    async def look_ahead_at_updates(self, sessionmaker: async_sessionmaker[AsyncSession],
                                    updates: Sequence[Update]) -> None:
        """`look_ahead` for a polling batch of Telegram updates, in a session of its own."""
        if not self.profiles.enabled:
            return
        senders = [str(user.id) for update in updates
                   if (user := AiogramUserContext.resolve_event_context(update).user) is not None
                   and not user.is_bot]
        if len(senders) > 1:
            async with sessionmaker() as session:
                await self.look_ahead(session, Channel.TELEGRAM.value, senders)

    async def __call__(self, handler: Handler, event: TelegramObject,
                       data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        session: AsyncSession = data["session"]
        resident = None
        account_roles: frozenset[Any] = frozenset()
        language = self.settings.default_language
        # A channel adapter feeding the update names the account (Viber: the user id behind
        # the alias); a Telegram update's account is its sender.
        account: Account | None = data.get("account")
        if account is None and user is not None:
            account = data["account"] = Account.telegram(user.id)
        if user is not None and not user.is_bot and account is not None:
            external_id = account.external_id
            resident = await self.profiles.lookup(session, account.channel, external_id)
            account_roles = await self.role_cache.roles_of(session, account.channel, external_id)
            if resident is not None:
                language = resident.language
                # Notifications follow the resident to the messenger he writes from.
                await residents.note_channel(session, resident, account.channel)
            else:
                state = data.get("state")
                stored = (await state.get_data()).get("language") if state else None
                language = stored or normalize_language(user.language_code)
        data["resident"] = resident
        data["roles"] = account_roles
        data["actor"] = account.actor if account is not None else "system"
        data["tr"] = self.translator.for_language(language)
        data["translator"] = self.translator
        return await handler(event, data)


class AnswerCallbacksMiddleware(CallbackAnswerMiddleware):
    """Answers every button press after its handler (no spinning clock).

    Unlike aiogram's own, it leaves a failed press unanswered, so the error handler can answer
    it with the reason. Handlers set `callback_answer.text` instead of calling `answer()`.
    """

    async def __call__(self, handler: Handler, event: TelegramObject,
                       data: dict[str, Any]) -> Any:
        if not isinstance(event, CallbackQuery):
            return await handler(event, data)
        callback_answer = data["callback_answer"] = self.construct_callback_answer(
            properties=get_flag(data, "callback_answer"))
        result = await handler(event, data)
        if not callback_answer.disabled and not callback_answer.answered:
            await self.answer(event, callback_answer)
        return result

    def answer(self, event: CallbackQuery, callback_answer: CallbackAnswer
               ) -> AnswerCallbackQuery:
        # As aiogram's, without validating again what came validated (every press has one).
        return AnswerCallbackQuery.model_construct(
            callback_query_id=event.id, text=callback_answer.text,
            show_alert=callback_answer.show_alert, url=callback_answer.url,
            cache_time=callback_answer.cache_time).as_(event.bot)


class ThrottlingMiddleware(BaseMiddleware):
    """A token bucket per user: a flood is slowed with one polite notice, others unaffected.

    With Redis the buckets are shared by every process; otherwise they live in this one.
    """

    def __init__(self, translator: Translator, rate: float, burst: int,
                 redis: Any | None = None, key_prefix: str = "hromada") -> None:
        self.translator = translator
        self.rate = rate
        self.burst = burst
        self.redis = redis
        self.key_prefix = key_prefix
        self._buckets: dict[int, tuple[float, float, bool]] = {}
        self._last_sweep = time.monotonic()

    async def __call__(self, handler: Handler, event: TelegramObject,
                       data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        # Inline queries come one per pause in typing and are cached by Telegram; throttled,
        # the last one (the whole query) would go unanswered.
        if user is None or self.rate <= 0 or (isinstance(event, Update) and event.inline_query):
            return await handler(event, data)
        allowed, warn = (
            await self._take_redis(user.id) if self.redis is not None else self._take(user.id)
        )
        if allowed:
            return await handler(event, data)
        await self._notify(event, user, warn)
        return None

    def _take(self, user_id: int) -> tuple[bool, bool]:
        now = time.monotonic()
        tokens, stamp, warned = self._buckets.get(user_id, (float(self.burst), now, False))
        tokens = min(float(self.burst), tokens + (now - stamp) * self.rate)
        if tokens >= 1:
            self._buckets[user_id] = (tokens - 1, now, False)
            allowed, warn = True, False
        else:
            self._buckets[user_id] = (tokens, now, True)
            allowed, warn = False, not warned
        if now - self._last_sweep > 60:
            self._sweep(now)
        return allowed, warn

    def _sweep(self, now: float) -> None:
        horizon = self.burst / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < horizon}
        self._last_sweep = now

    async def _take_redis(self, user_id: int) -> tuple[bool, bool]:
        # A fixed window of `burst` updates per burst/rate seconds; good enough across processes.
        assert self.redis is not None
        window = max(1, int(self.burst / self.rate))
        key = f"{self.key_prefix}:throttle:{user_id}:{int(time.time()) // window}"
        count = await self.redis.incr(key)
        if count == 1:
            await self.redis.expire(key, window + 1)
        return count <= self.burst, count == self.burst + 1

    async def _notify(self, event: TelegramObject, user: User, warn: bool) -> None:
        """One polite notice per flood; every press is answered (silently after the notice),
        or the resident's button keeps spinning."""
        target = event.event if isinstance(event, Update) else event
        try:
            if isinstance(target, CallbackQuery):
                await target.answer(self._text(user) if warn else None)
            elif warn and isinstance(target, Message):
                await target.answer(self._text(user))
        except Exception:  # the notice is a courtesy; never let it break the loop
            log.debug("could not send throttle notice", exc_info=True)

    def _text(self, user: User) -> str:
        return self.translator.for_language(normalize_language(user.language_code))(
            "error.throttled")
