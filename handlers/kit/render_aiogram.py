"""Telegram markups of a Screen's buttons: inline keyboards, the share-phone/location reply
keyboard, deep links. The renderer that shows screens is the channel's
(bot/channels/telegram/render.py); these stay here for the few handlers that still build a
Telegram markup themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from handlers.kit.screen import Button, DeepLink, InputRequest, RequestKind, Rows, Screen

LinkBuilder = Callable[[DeepLink], str]
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


def telegram_links(bot_username: str) -> LinkBuilder:
    """Deep links as Telegram opens them: https://t.me/<bot>?start=<payload>."""
    if not bot_username:
        raise ValueError("deep links need the bot's username")

    def build(link: DeepLink) -> str:
        return f"https://t.me/{bot_username}?start={link.payload}"

    return build


def button_json(button: Button, links: LinkBuilder | None) -> dict[str, str]:
    """An inline button as the Bot API's JSON."""
    if button.action is not None:
        return {"text": button.text, "callback_data": button.packed}
    if button.url is not None:
        return {"text": button.text, "url": button.url}
    if button.link is not None:
        return {"text": button.text, "url": deep_link(button.link, links)}
    assert button.share is not None
    if button.share.link is None:
        return {"text": button.text, "switch_inline_query": button.share.text}
    # Telegram's share sheet, exactly as the petition card builds it today.
    url = quote(deep_link(button.share.link, links), safe="")
    text = quote(button.share.text)
    return {"text": button.text, "url": f"https://t.me/share/url?url={url}&text={text}"}


def inline_button(button: Button, links: LinkBuilder | None) -> InlineKeyboardButton:
    return InlineKeyboardButton.model_validate(button_json(button, links))


def keyboard_json(rows: Rows, links: LinkBuilder | None = None
                  ) -> list[list[dict[str, str]]] | None:
    """An inline keyboard as the Bot API's JSON (what `inline_markup` dumps to), None without
    buttons: for a channel that sends it as is."""
    if not rows:
        return None
    return [[button_json(b, links) for b in row] for row in rows]


def deep_link(link: DeepLink, links: LinkBuilder | None) -> str:
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
