"""Showing a Screen on Telegram: a pressed button edits its message in place ("message is not
modified" is fine; a message that cannot be edited, too old or a photo, gets a fresh message
instead); a typed message is answered. Screens that Telegram cannot put on an edited message
(media, a reply keyboard or its removal) and screens marked `new_message` are sent as a new
message.
"""

from __future__ import annotations

from typing import Any, cast

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    FSInputFile,
    InlineKeyboardMarkup,
    InputFile,
    Message,
)

from bot.channels.media import MediaStore
from bot.channels.telegram.methods import (
    KeyboardJSON,
    ScreenEdit,
    ScreenMessage,
    ShownMessage,
    construct,
)
from bot.channels.telegram.session import JsonAiohttpSession
from handlers.kit.render_aiogram import (
    LinkBuilder,
    Markup,
    keyboard_json,
    markup_for,
    telegram_links,
)
from handlers.kit.screen import Media, MediaKind, Screen
from handlers.kit.show import Shown

__all__ = ["TelegramRenderer", "can_edit_in_place"]


def can_edit_in_place(screen: Screen) -> bool:
    """Telegram edits text and inline buttons only; anything else needs a new message."""
    return not (screen.new_message or screen.media is not None or screen.request is not None
                or screen.remove_reply_keyboard)


def stored_upload(store: MediaStore | None, ref: str) -> str | InputFile:
    """A file reference as Telegram takes it: a file in our media store (`media:<key>`, e.g.
    a picture a resident sent on Viber) is uploaded; a Telegram file id or URL goes as is."""
    path = store.path_of(ref) if store is not None else None
    return FSInputFile(path, filename=path.name) if path is not None else ref


def _file(media: Media, store: MediaStore | None) -> str | InputFile:
    if media.data is not None:
        return BufferedInputFile(media.data, filename=media.filename or "file")
    assert media.file is not None
    return stored_upload(store, media.file)


class TelegramRenderer:
    """Renders screens for one aiogram Bot; without a link builder it asks the bot's name;
    files of the media store (`store`) are uploaded."""

    def __init__(self, links: LinkBuilder | None = None, store: MediaStore | None = None
                 ) -> None:
        self._links = links
        self._store = store

    async def links_for(self, bot: Bot | None, screen: Screen) -> LinkBuilder | None:
        if self._links is not None or not screen.needs_links:
            return self._links
        if bot is None:
            raise ValueError("deep links need the bot (or a link builder)")
        return telegram_links((await bot.me()).username or "")

    async def show(self, event: Message | CallbackQuery, screen: Screen) -> Shown | None:
        links = await self.links_for(event.bot, screen)
        # A text screen on our JSON session carries its keyboard as JSON (methods.py); any
        # other goes through aiogram's models.
        as_json = _as_json(event.bot, screen)
        keyboard = keyboard_json(screen.rows, links) if as_json else None
        markup = None if as_json else markup_for(screen, links)
        if isinstance(event, Message):
            if as_json:
                return await _text_message(
                    event.bot, keyboard, screen, chat_id=event.chat.id,
                    message_thread_id=event.message_thread_id if event.is_topic_message else None,
                    business_connection_id=event.business_connection_id)
            return await _answer(event, screen, markup, self._store)
        message = event.message
        if isinstance(message, Message) and can_edit_in_place(screen):
            edit = (construct(
                        ScreenEdit, keyboard=keyboard, chat_id=message.chat.id,
                        message_id=message.message_id,
                        business_connection_id=message.business_connection_id,
                        text=screen.text).as_(event.bot) if as_json
                    else message.edit_text(screen.text, reply_markup=markup
                                           if isinstance(markup, InlineKeyboardMarkup) else None))
            try:
                edited = await edit
                return message if isinstance(edited, bool) else edited
            except TelegramBadRequest as exc:
                if "message is not modified" in exc.message:
                    return message
                # Too old to edit, or a photo message: send a fresh one instead.
        if event.from_user is None or event.bot is None:
            return None
        if as_json:
            return await _text_message(event.bot, keyboard, screen, chat_id=event.from_user.id)
        return await _send(event.bot, event.from_user.id, screen, markup, self._store)


async def _text_message(bot: Bot | None, keyboard: KeyboardJSON | None, screen: Screen,
                        **fields: Any) -> ShownMessage:
    """A text screen's `sendMessage` with its keyboard as JSON, from validated values (as
    aiogram's `answer` and `send_message` would fill them in)."""
    assert bot is not None  # `_as_json` saw it
    sent = await bot(construct(ScreenMessage, keyboard=keyboard, text=screen.text, **fields))
    return cast(ShownMessage, sent)  # its __returning__, which aiogram's generic type hides


def _as_json(bot: Bot | None, screen: Screen) -> bool:
    """A text screen with inline buttons (or none) for a bot on our JSON session; media, a
    reply keyboard or its removal (and another channel's session) take aiogram's models."""
    return (bot is not None and isinstance(bot.session, JsonAiohttpSession)
            and screen.media is None and screen.request is None
            and not screen.remove_reply_keyboard)


async def _answer(message: Message, screen: Screen, markup: Markup,
                  store: MediaStore | None) -> Message:
    media = screen.media
    if media is None:
        return await message.answer(screen.text, reply_markup=markup)
    caption = screen.text or None
    file = _file(media, store)
    if media.kind == MediaKind.PHOTO:
        return await message.answer_photo(file, caption=caption, reply_markup=markup)
    return await message.answer_document(file, caption=caption, reply_markup=markup)


async def _send(bot: Bot, chat_id: int, screen: Screen, markup: Markup,
                store: MediaStore | None) -> Message:
    media = screen.media
    if media is None:
        return await bot.send_message(chat_id, screen.text, reply_markup=markup)
    caption = screen.text or None
    file = _file(media, store)
    if media.kind == MediaKind.PHOTO:
        return await bot.send_photo(chat_id, file, caption=caption, reply_markup=markup)
    return await bot.send_document(chat_id, file, caption=caption, reply_markup=markup)
