"""The Telegram outbox transport: one claimed row → one Bot API call, its answers mapped onto
the channel errors (429 → RetryLater for the whole bot, 403 → Unreachable, 400 → Rejected,
anything else → TransientError). A row's file from the media store (`media:<key>`) is
uploaded.

A 429 is published to every sender of the bot from inside the bot's request pipeline, before
the error travels back through any other middleware or caller (see bot/outbox/throttle.py).
"""

from __future__ import annotations

import asyncio
import weakref
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import Rejected, RetryLater, TransientError, Unreachable
from bot.channels.media import REF_PREFIX, MediaStore
from bot.channels.telegram.links import private_chat_url
from bot.channels.telegram.render import stored_upload
from bot.channels.telegram.stored_media import StoredMedia
from bot.outbox.throttle import announce_retry_later
from bot.outbox.worker import Sender
from services.models import Channel, Priority
from services.outbox import Claimed

__all__ = ["CAPTION_MAX", "TelegramSender", "TelegramTransport", "build_markup"]

CAPTION_MAX = 1024


def build_markup(buttons: list[list[dict[str, Any]]] | None,
                 bot_username: str | None = None) -> InlineKeyboardMarkup | None:
    """Channel-neutral button rows → an inline keyboard (url, callback or deep-link buttons;
    a deep link opens `bot_username`'s chat, and is left out without it)."""
    if not buttons:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    for row in buttons:
        line = []
        for spec in row:
            if spec.get("url"):
                line.append(InlineKeyboardButton(text=spec["text"], url=spec["url"]))
            elif spec.get("callback"):
                line.append(InlineKeyboardButton(text=spec["text"], callback_data=spec["callback"]))
            elif spec.get("link") and bot_username:
                line.append(InlineKeyboardButton(
                    text=spec["text"], url=private_chat_url(bot_username, spec["link"])))
        if line:
            rows.append(line)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def _has_links(buttons: list[list[dict[str, Any]]] | None) -> bool:
    return bool(buttons) and any(spec.get("link") for row in buttons or () for spec in row)


async def _announce_429s(make_request: Any, bot: Bot, method: Any) -> Any:
    """A session middleware: an outbox send's 429 pauses every process before anyone sees it."""
    try:
        return await make_request(bot, method)
    except TelegramRetryAfter as exc:
        await announce_retry_later(float(exc.retry_after))
        raise


_sessions_announcing: weakref.WeakSet[Any] = weakref.WeakSet()


class TelegramTransport:
    """Sends outbox rows through an aiogram Bot (closing its session only if it owns it)."""

    channel: str = Channel.TELEGRAM.value

    def __init__(self, bot: Bot, *, rate_per_second: float = 25,
                 per_chat_interval: float = 1.0, allow_paid_broadcast: bool = False,
                 username: str | None = None, owns_bot: bool = False,
                 sessionmaker: async_sessionmaker[AsyncSession] | None = None,
                 store: MediaStore | None = None) -> None:
        self.bot = bot
        # Stored pictures (a poll's chart) are uploaded once, then sent by their file id.
        self.stored_media = StoredMedia(sessionmaker, self.channel) if sessionmaker else None
        # Files of the media store (a broadcast photo composed on Viber) are uploaded once;
        # later rows send the file id Telegram gave it.
        self._store = store
        self._uploaded: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.account = str(bot.id)  # the throttle's key: one budget per bot
        self.rate_per_second = rate_per_second
        self.per_chat_interval = per_chat_interval
        self.allow_paid_broadcast = allow_paid_broadcast
        self._username = username
        self._owns_bot = owns_bot
        if bot.session not in _sessions_announcing:
            bot.session.middleware(_announce_429s)
            _sessions_announcing.add(bot.session)

    async def send(self, row: Claimed) -> None:
        try:
            await self._send(row)
        except TelegramRetryAfter as exc:
            raise RetryLater(float(exc.retry_after), whole_account=True) from exc
        except TelegramForbiddenError as exc:
            raise Unreachable(exc.message) from exc
        except TelegramBadRequest as exc:
            raise Rejected(f"400: {exc.message}") from exc
        except (TelegramAPIError, TelegramNetworkError, OSError, TimeoutError) as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        if self._owns_bot:
            await self.bot.session.close()

    async def _username_for(self, row: Claimed) -> str | None:
        """The bot's username (from the settings, or asked once) when a row has a deep link."""
        if not _has_links(row.buttons):
            return None
        if self._username is None:
            self._username = (await self.bot.me()).username or ""
        return self._username

    async def _send(self, row: Claimed) -> None:
        chat_id: int | str = int(row.chat_id) if row.chat_id.lstrip("-").isdigit() else row.chat_id
        markup = build_markup(row.buttons, await self._username_for(row))
        extra: dict[str, Any] = {}
        if self.allow_paid_broadcast and row.priority >= Priority.BULK:
            extra["allow_paid_broadcast"] = True
        text = row.text
        if row.photo or row.document:
            caption = text if len(text) <= CAPTION_MAX else None
            ref = row.photo or row.document or ""
            if row.photo and self.stored_media is not None and self.stored_media.handles(ref):
                shown = await self._send_photo(chat_id, ref, caption,
                                               markup if caption is not None else None, extra)
                if caption is not None and shown:
                    return
                await self.bot.send_message(
                    chat_id, text, parse_mode="HTML", reply_markup=markup, **extra)
                return
            # The first row of a stored file uploads it; the others wait for its file id.
            async with self._uploading(ref):
                file = self._file(ref)
                if row.photo:
                    sent = await self.bot.send_photo(
                        chat_id, photo=file, caption=caption, parse_mode="HTML",
                        reply_markup=markup if caption is not None else None, **extra,
                    )
                    self._remember(ref, file, sent.photo[-1].file_id if sent.photo else None)
                else:
                    sent = await self.bot.send_document(
                        chat_id, document=file, caption=caption, parse_mode="HTML",
                        reply_markup=markup if caption is not None else None, **extra,
                    )
                    self._remember(ref, file, sent.document.file_id if sent.document else None)
            if caption is not None:
                return
        await self.bot.send_message(
            chat_id, text, parse_mode="HTML", reply_markup=markup, **extra
        )

    def _uploading(self, ref: str) -> AbstractAsyncContextManager[Any]:
        if not ref.startswith(REF_PREFIX) or ref in self._uploaded:
            return nullcontext()
        return self._locks.setdefault(ref, asyncio.Lock())

    def _file(self, ref: str) -> str | InputFile:
        return self._uploaded.get(ref) or stored_upload(self._store, ref)

    def _remember(self, ref: str, sent: str | InputFile, file_id: str | None) -> None:
        if file_id and isinstance(sent, InputFile):
            self._uploaded[ref] = file_id
            self._locks.pop(ref, None)


    async def _send_photo(self, chat_id: int | str, photo: str, caption: str | None,
                          markup: InlineKeyboardMarkup | None, extra: dict[str, Any]) -> bool:
        """A file id, or a stored picture (uploaded once); False: the picture is gone."""
        def send(file: str | InputFile) -> Any:
            return self.bot.send_photo(chat_id, photo=file, caption=caption, parse_mode="HTML",
                                       reply_markup=markup, **extra)

        if self.stored_media is not None and self.stored_media.handles(photo):
            return await self.stored_media.send(photo, send)
        await send(photo)
        return True


class TelegramSender(Sender):
    """The outbox worker over a TelegramTransport of `bot` (tests, benchmarks, one-off runs)."""

    def __init__(self, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], *,
                 worker_id: str, rate_per_second: float = 25, per_chat_interval: float = 1.0,
                 allow_paid_broadcast: bool = False, **options: Any) -> None:
        self.bot = bot
        super().__init__(
            TelegramTransport(bot, rate_per_second=rate_per_second,
                              per_chat_interval=per_chat_interval,
                              allow_paid_broadcast=allow_paid_broadcast,
                              sessionmaker=sessionmaker),
            sessionmaker, worker_id=worker_id, **options)
