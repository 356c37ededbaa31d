"""An aiogram session that performs the Bot API calls of our handlers as Viber messages.

The handlers talk to an ordinary aiogram `Bot`; its session maps each method: messages and
media become Viber messages (a picture or file by a signed URL from the media store), an edit
becomes a new message (Viber cannot edit), a callback answer with a text becomes a message (no
toasts on Viber), deletions and the bot's profile calls are harmless no-ops. A method with no
Viber meaning fails as a 400, which handlers already expect of Telegram.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, cast

import aiohttp
from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    AnswerInlineQuery,
    DeleteMessage,
    DeleteMessages,
    DeleteMyCommands,
    DeleteWebhook,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    SendChatAction,
    SendDocument,
    SendLocation,
    SendMessage,
    SendPhoto,
    SetChatMenuButton,
    SetMyCommands,
    SetMyDescription,
    SetMyShortDescription,
    SetWebhook,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    File,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    User,
)

from bot.channels.viber.aliases import AliasBook
from bot.channels.viber.errors import NotSubscribed, Rejected, TooManyRequests, TransientError
from bot.channels.viber.outgoing import Attachment, Outgoing
from bot.channels.viber.render import Spec

log = logging.getLogger(__name__)

Handler = Callable[[Bot, Any], Awaitable[Any]]
# Methods that change nothing a Viber subscriber could see.
HARMLESS = (DeleteMessage, DeleteMessages, SendChatAction, SetMyCommands, DeleteMyCommands,
            SetMyDescription, SetMyShortDescription, SetChatMenuButton, SetWebhook,
            DeleteWebhook, AnswerInlineQuery)


def callback_query_id(alias: int, token: int) -> str:
    """Viber has no callback ids: ours names the presser, so an answer's text can reach him."""
    return f"viber:{alias}:{token}"


def _presser(query_id: str) -> int | None:
    kind, _, rest = query_id.partition(":")
    alias = rest.partition(":")[0]
    return int(alias) if kind == "viber" and alias.isdigit() else None


VIBER_ERRORS = (NotSubscribed, TooManyRequests, Rejected, TransientError)


def as_telegram_error(exc: Exception, method: TelegramMethod[Any]) -> Exception:
    """The aiogram error a handler expects of Telegram for what Viber answered."""
    if isinstance(exc, NotSubscribed):
        return TelegramForbiddenError(method=method, message=f"Forbidden: {exc}")
    if isinstance(exc, TooManyRequests):
        return TelegramRetryAfter(method=method, message=str(exc), retry_after=int(exc.seconds))
    if isinstance(exc, Rejected):
        return TelegramBadRequest(method=method, message=f"Bad Request: {exc}")
    return TelegramNetworkError(method=method, message=str(exc))


def specs_of(markup: Any) -> tuple[list[list[Spec]] | None, bool]:
    """(button rows, remove) of an aiogram markup, in the neutral specs render.py draws."""
    if isinstance(markup, ReplyKeyboardRemove):
        return None, True
    rows: list[list[Spec]] = []
    if isinstance(markup, InlineKeyboardMarkup):
        for row in markup.inline_keyboard:
            line: list[Spec] = []
            for b in row:
                if b.callback_data is not None:
                    line.append({"text": b.text, "callback": b.callback_data})
                elif b.url:
                    line.append({"text": b.text, "url": b.url})
                elif b.login_url is not None:
                    line.append({"text": b.text, "url": b.login_url.url})
                elif b.web_app is not None:
                    line.append({"text": b.text, "url": b.web_app.url})
                else:  # inline-mode switches, games, payments: nothing on Viber
                    log.debug("button %r has no Viber counterpart; left out", b.text)
            if line:
                rows.append(line)
    elif isinstance(markup, ReplyKeyboardMarkup):
        for keys in markup.keyboard:
            line = []
            for k in keys:
                if k.request_contact:
                    line.append({"text": k.text, "phone": "1"})
                elif k.request_location:
                    line.append({"text": k.text, "location": "1"})
                else:
                    line.append({"text": k.text, "reply": k.text})
            rows.append(line)
    return (rows or None), False


class ViberSession(BaseSession):
    """The session of the Viber channel's `Bot` (one per bot; shares the channel's sender)."""

    def __init__(self, outgoing: Outgoing, aliases: AliasBook, me: User) -> None:
        # Files are read where the media store keeps them (`bot.download` of a `media:` id
        # a Viber resident sent, such as a staff member's vote file): a "local" Bot API.
        super().__init__(api=TelegramAPIServer(base="viber://{token}/{method}",
                                               file="{path}", is_local=True))
        self.outgoing = outgoing
        self.aliases = aliases
        self.me = me
        self._me = me.model_dump()
        self._template: Message | None = None
        self._handlers: dict[type[TelegramMethod[Any]], Handler] = {
            SendMessage: self._send_message,
            EditMessageText: self._edit_text,
            EditMessageCaption: self._edit_caption,
            EditMessageReplyMarkup: self._edit_markup,
            SendPhoto: self._send_photo,
            SendDocument: self._send_document,
            SendLocation: self._send_location,
            AnswerCallbackQuery: self._answer_callback,
            GetMe: self._get_me,
            GetFile: self._get_file,
        }
        self._http: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._http is not None and not self._http.closed:
            await self._http.close()

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType],
                           timeout: int | None = None) -> TelegramType:  # noqa: ASYNC109
        handler = self._handlers.get(type(method))
        if handler is None:
            if isinstance(method, HARMLESS):
                return cast(TelegramType, True)
            raise TelegramBadRequest(method=method, message=(
                f"Bad Request: {type(method).__name__} is not available on Viber"))
        try:
            return cast(TelegramType, await handler(bot, method))
        except VIBER_ERRORS as exc:
            raise as_telegram_error(exc, method) from exc

    async def send_text(self, bot: Bot, chat_id: int, text: str, rows: list[list[Spec]] | None,
                        remove: bool) -> Message:
        """A screen's text and buttons as a message, with no Bot API method in between (the
        renderer's way); errors as a `SendMessage` of the same would raise them."""
        try:
            receiver = await self.aliases.external(chat_id)
            if receiver is None:
                raise Rejected("chat not found")
            token = await self.outgoing.send(receiver, text, rows=rows, remove=remove)
        except VIBER_ERRORS as exc:
            raise as_telegram_error(exc, SendMessage(chat_id=chat_id, text=text)) from exc
        return self._text_message(bot, chat_id, token, text)

    async def stream_content(self, url: str, headers: dict[str, Any] | None = None,
                             timeout: int = 30, chunk_size: int = 65536,  # noqa: ASYNC109
                             raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:
        """For `URLInputFile`: the bytes behind a URL a handler wants to send."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        async with self._http.get(url, headers=headers,
                                  timeout=aiohttp.ClientTimeout(total=timeout),
                                  raise_for_status=raise_for_status) as response:
            async for chunk in response.content.iter_chunked(chunk_size):
                yield chunk

    # ---- helpers -------------------------------------------------------------------------
    async def _receiver(self, method: TelegramMethod[Any], chat_id: Any) -> tuple[int, str]:
        alias = int(chat_id) if isinstance(chat_id, int) or str(chat_id).isdigit() else None
        receiver = await self.aliases.external(alias) if alias is not None else None
        if alias is None or receiver is None:
            raise TelegramBadRequest(method=method, message="Bad Request: chat not found")
        return alias, receiver

    @staticmethod
    def _markup_on(bot: Bot, method: Any) -> bool:
        mode = method.parse_mode
        if isinstance(mode, Default):
            mode = bot.default[mode.name]
        return mode is not None and str(getattr(mode, "value", mode)).upper() == "HTML"

    def _text_message(self, bot: Bot, alias: int, token: int, text: str) -> Message:
        """`_message` of a text, copied from one validated once (a quarter of the cost:
        nothing in it needs checking; a session serves one bot)."""
        template = self._template
        if template is None:
            template = self._template = self._message(bot, 0, 1, text="")
        return template.model_copy(update={
            "message_id": token or int(time.time() * 1000), "date": datetime.now(UTC),
            "chat": template.chat.model_copy(update={"id": alias}), "text": text})

    def _message(self, bot: Bot, alias: int, token: int, **content: Any) -> Message:
        return Message.model_validate({
            "message_id": token or int(time.time() * 1000),
            "date": datetime.now(UTC),
            "chat": {"id": alias, "type": "private"},
            "from": self._me,
            **content,
        }, context={"bot": bot})

    async def _attachment(self, bot: Bot, file: str | InputFile, default_name: str
                          ) -> Attachment | None:
        if isinstance(file, InputFile):
            data = b"".join([chunk async for chunk in file.read(bot)])
            return await self.outgoing.store(data, file.filename or default_name)
        attachment = await self.outgoing.fetch_attachment(file)
        if attachment is None:
            log.warning("a file Viber cannot fetch (a Telegram file id?) was left out")
        return attachment

    # ---- the methods ---------------------------------------------------------------------
    async def _send_message(self, bot: Bot, method: SendMessage) -> Message:
        alias, receiver = await self._receiver(method, method.chat_id)
        rows, remove = specs_of(method.reply_markup)
        token = await self.outgoing.send(receiver, method.text, markup=self._markup_on(bot, method),
                                         rows=rows, remove=remove)
        return self._message(bot, alias, token, text=method.text)

    async def _edit_text(self, bot: Bot, method: EditMessageText) -> Message | bool:
        if method.chat_id is None:  # an inline message: not on Viber
            return True
        alias, receiver = await self._receiver(method, method.chat_id)
        rows, _ = specs_of(method.reply_markup)
        # The edited message loses its buttons unless new ones are given.
        token = await self.outgoing.send(receiver, method.text, markup=self._markup_on(bot, method),
                                         rows=rows, remove=rows is None)
        return self._message(bot, alias, token, text=method.text)

    async def _edit_caption(self, bot: Bot, method: EditMessageCaption) -> Message | bool:
        if method.chat_id is None or not method.caption:
            return True
        alias, receiver = await self._receiver(method, method.chat_id)
        rows, _ = specs_of(method.reply_markup)
        token = await self.outgoing.send(receiver, method.caption,
                                         markup=self._markup_on(bot, method),
                                         rows=rows, remove=rows is None)
        return self._message(bot, alias, token, text=method.caption)

    async def _edit_markup(self, bot: Bot, method: EditMessageReplyMarkup) -> bool:
        if method.chat_id is None:
            return True
        _alias, receiver = await self._receiver(method, method.chat_id)
        rows, _ = specs_of(method.reply_markup)
        if rows is None:  # buttons taken off a message that is done with
            self.outgoing.keyboards.set(receiver, None)
            return True
        await self.outgoing.send_keyboard(receiver, rows)
        return True

    async def _send_media(self, bot: Bot, method: SendPhoto | SendDocument,
                          file: str | InputFile, default_name: str) -> Message:
        alias, receiver = await self._receiver(method, method.chat_id)
        rows, remove = specs_of(method.reply_markup)
        attachment = await self._attachment(bot, file, default_name)
        caption = method.caption or ""
        if attachment is None and not caption:
            raise TelegramBadRequest(method=method, message="Bad Request: file unavailable")
        token = await self.outgoing.send(receiver, caption, markup=self._markup_on(bot, method),
                                         rows=rows, remove=remove, attachment=attachment)
        return self._message(bot, alias, token, caption=caption or None)

    async def _send_photo(self, bot: Bot, method: SendPhoto) -> Message:
        return await self._send_media(bot, method, method.photo, "photo.jpg")

    async def _send_document(self, bot: Bot, method: SendDocument) -> Message:
        return await self._send_media(bot, method, method.document, "file.bin")

    async def _send_location(self, bot: Bot, method: SendLocation) -> Message:
        alias, receiver = await self._receiver(method, method.chat_id)
        rows, remove = specs_of(method.reply_markup)
        token = await self.outgoing.send(receiver, "", rows=rows, remove=remove,
                                         location=(method.latitude, method.longitude))
        return self._message(bot, alias, token, location={"latitude": method.latitude,
                                                          "longitude": method.longitude})

    async def _answer_callback(self, bot: Bot, method: AnswerCallbackQuery) -> bool:
        """No toasts or alerts on Viber: a text answer becomes a message (with the keyboard
        the person was looking at)."""
        alias = _presser(method.callback_query_id)
        if not method.text or alias is None:
            return True
        receiver = await self.aliases.external(alias)
        if receiver is not None:
            await self.outgoing.send(receiver, method.text, markup=False)
        return True

    async def _get_me(self, _bot: Bot, _method: GetMe) -> User:
        return self.me

    async def _get_file(self, _bot: Bot, method: GetFile) -> File:
        """A file of the media store (what Viber residents send is kept there), by its path."""
        media = self.outgoing.media
        stored = media.find(method.file_id)
        if stored is None:
            raise TelegramBadRequest(method=method, message="Bad Request: file not found")
        return File(file_id=method.file_id, file_unique_id=stored.key, file_size=stored.size,
                    file_path=str(media.root / stored.key))
