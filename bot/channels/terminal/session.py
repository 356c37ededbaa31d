"""An aiogram session that performs our handlers' Bot API calls by printing to the terminal.

Handlers talk to an ordinary aiogram `Bot`; its session maps each method: a message is
printed with its buttons numbered, an edit is printed again marked as an update, a photo or a
file is kept in the media store and its path printed, a button's answer is a toast line;
command lists, the bot's profile and deletions change nothing a terminal shows. Only the
terminal's own chat exists: a message for any other chat is refused as Telegram refuses an
unknown chat, and a method with no terminal meaning fails as a 400.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, cast

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest
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
    GetMe,
    GetMyDescription,
    GetMyShortDescription,
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
    BotDescription,
    BotShortDescription,
    InputFile,
    Message,
    ReplyKeyboardMarkup,
    User,
)

from bot.channels.terminal.console import REMEMBERED_MESSAGES, Console, Kind
from bot.channels.terminal.files import Files
from bot.channels.terminal.keys import Links, from_markup

Handler = Callable[[Bot, Any], Awaitable[Any]]
# Methods that change nothing the terminal shows.
HARMLESS = (DeleteMessage, DeleteMessages, SendChatAction, SetMyCommands, DeleteMyCommands,
            SetMyDescription, SetMyShortDescription, SetChatMenuButton, SetWebhook,
            DeleteWebhook, AnswerInlineQuery)


class TerminalSession(BaseSession):
    """The session of the terminal chat's `Bot`: one person, one chat (`chat_id`)."""

    def __init__(self, console: Console, chat_id: int, me: User, files: Files,
                 links: Links) -> None:
        super().__init__()
        self.console = console
        self.chat_id = chat_id
        self.me = me
        self.files = files
        self.links = links
        # What each recent message shows now (text, markup): an edit must change something.
        self._shown: OrderedDict[int, tuple[str, str]] = OrderedDict()
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
            GetMyDescription: self._description,
            GetMyShortDescription: self._short_description,
        }

    async def close(self) -> None:
        return None

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType],
                           timeout: int | None = None) -> TelegramType:  # noqa: ASYNC109
        handler = self._handlers.get(type(method))
        if handler is None:
            if isinstance(method, HARMLESS):
                return cast(TelegramType, True)
            raise TelegramBadRequest(method=method, message=(
                f"Bad Request: {type(method).__name__} is not available in the terminal"))
        return cast(TelegramType, await handler(bot, method))

    async def stream_content(self, url: str, headers: dict[str, Any] | None = None,
                             timeout: int = 30, chunk_size: int = 65536,  # noqa: ASYNC109
                             raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:
        """Never used: a file given by URL is shown as its URL, not fetched (files.py)."""
        raise RuntimeError("the terminal chat downloads nothing")
        yield b""  # pragma: no cover - makes this an async generator

    # ---- helpers -------------------------------------------------------------------------
    def _check_chat(self, method: TelegramMethod[Any], chat_id: Any) -> None:
        if str(chat_id) != str(self.chat_id):
            raise TelegramBadRequest(method=method, message="Bad Request: chat not found")

    @staticmethod
    def _markup_on(bot: Bot, method: Any) -> bool:
        mode = getattr(method, "parse_mode", None)
        if isinstance(mode, Default):
            mode = bot.default[mode.name]
        return mode is not None and str(getattr(mode, "value", mode)).upper() == "HTML"

    def _message(self, bot: Bot, message_id: int, **content: Any) -> Message:
        return Message.model_validate({
            "message_id": message_id,
            "date": datetime.now(UTC),
            "chat": {"id": self.chat_id, "type": "private"},
            "from": self.me.model_dump(),
            **content,
        }, context={"bot": bot})

    def _unchanged(self, method: Any, message_id: int, text: str) -> None:
        """Telegram refuses an edit that changes nothing (handlers expect that): so do we,
        and the same message is not printed twice."""
        markup = method.reply_markup
        shown = (text, markup.model_dump_json() if markup is not None else "")
        if self._shown.get(message_id) == shown:
            raise TelegramBadRequest(method=method, message=(
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup"))
        self._shown[message_id] = shown
        self._shown.move_to_end(message_id)
        while len(self._shown) > REMEMBERED_MESSAGES:
            self._shown.popitem(last=False)

    def _show(self, bot: Bot, method: Any, text: str, *, kind: Kind = Kind.MESSAGE,
              attachment: str | None = None, message_id: int | None = None) -> int:
        if message_id is not None:
            self._unchanged(method, message_id, text)
        rows, remove = from_markup(method.reply_markup, self.links)
        reply_keyboard = isinstance(method.reply_markup, ReplyKeyboardMarkup)
        shown = self.console.show(text, rows=rows, remove=remove, reply_keyboard=reply_keyboard,
                                  kind=kind, markup=self._markup_on(bot, method),
                                  attachment=attachment, message_id=message_id)
        if message_id is None:
            markup = method.reply_markup
            self._shown[shown] = (text, markup.model_dump_json() if markup is not None else "")
        return shown

    # ---- the methods ---------------------------------------------------------------------
    async def _send_message(self, bot: Bot, method: SendMessage) -> Message:
        self._check_chat(method, method.chat_id)
        message_id = self._show(bot, method, method.text)
        return self._message(bot, message_id, text=self.console.text_of(message_id))

    async def _edit_text(self, bot: Bot, method: EditMessageText) -> Message | bool:
        if method.chat_id is None:  # an inline message: none in a terminal
            return True
        self._check_chat(method, method.chat_id)
        message_id = self._show(bot, method, method.text, kind=Kind.UPDATE,
                                message_id=method.message_id)
        if not method.reply_markup:
            self.console.drop_keys(message_id)
        return self._message(bot, message_id, text=self.console.text_of(message_id))

    async def _edit_caption(self, bot: Bot, method: EditMessageCaption) -> Message | bool:
        if method.chat_id is None:
            return True
        self._check_chat(method, method.chat_id)
        message_id = self._show(bot, method, method.caption or "", kind=Kind.UPDATE,
                                message_id=method.message_id)
        return self._message(bot, message_id, caption=self.console.text_of(message_id))

    async def _edit_markup(self, bot: Bot, method: EditMessageReplyMarkup) -> bool:
        if method.chat_id is None or method.message_id is None:
            return True
        self._check_chat(method, method.chat_id)
        rows, _ = from_markup(method.reply_markup, self.links)
        if rows:
            self.console.show_keys(method.message_id, rows)
        else:  # buttons taken off a message that is done with
            self.console.drop_keys(method.message_id)
        return True

    async def _send_media(self, bot: Bot, method: SendPhoto | SendDocument,
                          file: str | InputFile, photo: bool) -> Message:
        self._check_chat(method, method.chat_id)
        where = await self.files.describe(bot, file, photo=photo)
        message_id = self._show(bot, method, method.caption or "", attachment=where)
        return self._message(bot, message_id, caption=method.caption)

    async def _send_photo(self, bot: Bot, method: SendPhoto) -> Message:
        return await self._send_media(bot, method, method.photo, photo=True)

    async def _send_document(self, bot: Bot, method: SendDocument) -> Message:
        return await self._send_media(bot, method, method.document, photo=False)

    async def _send_location(self, bot: Bot, method: SendLocation) -> Message:
        self._check_chat(method, method.chat_id)
        where = self.console.tr("terminal.location", latitude=f"{method.latitude:.5f}",
                                longitude=f"{method.longitude:.5f}")
        message_id = self._show(bot, method, "", attachment=where)
        return self._message(bot, message_id, location={"latitude": method.latitude,
                                                        "longitude": method.longitude})

    async def _answer_callback(self, _bot: Bot, method: AnswerCallbackQuery) -> bool:
        if method.text:
            self.console.toast(method.text)
        return True

    async def _get_me(self, _bot: Bot, _method: GetMe) -> User:
        return self.me

    async def _description(self, _bot: Bot, _method: GetMyDescription) -> BotDescription:
        return BotDescription(description="")

    async def _short_description(self, _bot: Bot, _method: GetMyShortDescription
                                 ) -> BotShortDescription:
        return BotShortDescription(short_description="")
