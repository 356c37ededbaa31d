"""Telegram rendering of a Screen: markups, and the renderer that edits the pressed message.

`TelegramRenderer.show` is today's handlers.ui.show: a pressed button edits its message in
place ("message is not modified" is fine; a message that cannot be edited, too old or a
photo, gets a fresh message instead); a typed message is answered. Screens that Telegram
cannot put on an edited message (media, a reply keyboard or its removal) and screens marked
`new_message` are sent as a new message, as the handlers do today with ``answer``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from handlers.kit.screen import (
    Button,
    DeepLink,
    InputRequest,
    Media,
    MediaKind,
    RequestKind,
    Rows,
    Screen,
)

LinkBuilder = Callable[[DeepLink], str]
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


def telegram_links(bot_username: str) -> LinkBuilder:
    """Deep links as Telegram opens them: https://t.me/<bot>?start=<payload>."""
    if not bot_username:
        raise ValueError("deep links need the bot's username")

    def build(link: DeepLink) -> str:
        return f"https://t.me/{bot_username}?start={link.payload}"

    return build


def inline_button(button: Button, links: LinkBuilder | None) -> InlineKeyboardButton:
    if button.action is not None:
        return InlineKeyboardButton(text=button.text, callback_data=button.action.pack())
    if button.url is not None:
        return InlineKeyboardButton(text=button.text, url=button.url)
    if button.link is not None:
        return InlineKeyboardButton(text=button.text, url=_link(button.link, links))
    assert button.share is not None
    if button.share.link is None:
        return InlineKeyboardButton(text=button.text, switch_inline_query=button.share.text)
    # Telegram's share sheet, exactly as the petition card builds it today.
    url = quote(_link(button.share.link, links), safe="")
    text = quote(button.share.text)
    return InlineKeyboardButton(text=button.text,
                                url=f"https://t.me/share/url?url={url}&text={text}")


def _link(link: DeepLink, links: LinkBuilder | None) -> str:
    if links is None:
        raise ValueError(f"rendering deep link {link.payload!r} needs a link builder")
    return links(link)


def inline_markup(rows: Rows, links: LinkBuilder | None = None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[[inline_button(b, links) for b in row] for row in rows])


def reply_markup(request: InputRequest) -> ReplyKeyboardMarkup:
    """The one-tap share button, with optional skip / cancel text buttons below it."""
    share = KeyboardButton(text=request.text,
                           request_contact=request.kind == RequestKind.PHONE or None,
                           request_location=request.kind == RequestKind.LOCATION or None)
    extra = [KeyboardButton(text=t) for t in (request.skip, request.cancel) if t]
    return ReplyKeyboardMarkup(keyboard=[[share], *([extra] if extra else [])],
                               resize_keyboard=True, one_time_keyboard=True)


def markup_for(screen: Screen, links: LinkBuilder | None = None) -> Markup:
    if screen.request is not None:
        return reply_markup(screen.request)
    if screen.remove_reply_keyboard:
        return ReplyKeyboardRemove()
    return inline_markup(screen.rows, links)


def can_edit_in_place(screen: Screen) -> bool:
    """Telegram edits text and inline buttons only; anything else needs a new message."""
    return not (screen.new_message or screen.media is not None or screen.request is not None
                or screen.remove_reply_keyboard)


def _file(media: Media) -> str | BufferedInputFile:
    if media.data is not None:
        return BufferedInputFile(media.data, filename=media.filename or "file")
    assert media.file is not None
    return media.file


class TelegramRenderer:
    """Renders screens for one aiogram Bot; without a link builder it asks the bot's name."""

    def __init__(self, links: LinkBuilder | None = None) -> None:
        self._links = links

    async def links_for(self, bot: Bot | None, screen: Screen) -> LinkBuilder | None:
        if self._links is not None or not screen.needs_links:
            return self._links
        if bot is None:
            raise ValueError("deep links need the bot (or a link builder)")
        return telegram_links((await bot.me()).username or "")

    async def show(self, event: Message | CallbackQuery, screen: Screen) -> Message | None:
        markup = markup_for(screen, await self.links_for(event.bot, screen))
        if isinstance(event, Message):
            return await _answer(event, screen, markup)
        message = event.message
        if isinstance(message, Message) and can_edit_in_place(screen):
            inline = markup if isinstance(markup, InlineKeyboardMarkup) else None
            try:
                edited = await message.edit_text(screen.text, reply_markup=inline)
                return edited if isinstance(edited, Message) else message
            except TelegramBadRequest as exc:
                if "message is not modified" in exc.message:
                    return message
                # Too old to edit, or a photo message: send a fresh one instead.
        if event.from_user is None or event.bot is None:
            return None
        return await _send(event.bot, event.from_user.id, screen, markup)


async def _answer(message: Message, screen: Screen, markup: Markup) -> Message:
    media = screen.media
    if media is None:
        return await message.answer(screen.text, reply_markup=markup)
    caption = screen.text or None
    if media.kind == MediaKind.PHOTO:
        return await message.answer_photo(_file(media), caption=caption, reply_markup=markup)
    return await message.answer_document(_file(media), caption=caption, reply_markup=markup)


async def _send(bot: Bot, chat_id: int, screen: Screen, markup: Markup) -> Message:
    media = screen.media
    if media is None:
        return await bot.send_message(chat_id, screen.text, reply_markup=markup)
    caption = screen.text or None
    if media.kind == MediaKind.PHOTO:
        return await bot.send_photo(chat_id, _file(media), caption=caption, reply_markup=markup)
    return await bot.send_document(chat_id, _file(media), caption=caption, reply_markup=markup)
