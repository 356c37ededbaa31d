"""Telegram's length limits, kept by every request the bot makes.

A message over 4,096 characters (a caption over 1,024, a button-press notice over 200) is
refused with 400, and the resident gets nothing. Texts that quote what people typed clip
it where they render it (`services.i18n.echo`); this request middleware is the net under
everything else: it clips the visible text, keeps the HTML well-formed, and logs it.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.enums import ParseMode
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    EditMessageCaption,
    EditMessageText,
    Response,
    SendAnimation,
    SendAudio,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SendVideo,
    SendVoice,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType

from handlers.kit.clip import (
    CALLBACK_ANSWER_MAX,
    CAPTION_MAX,
    MESSAGE_MAX,
    clip_html,
    clip_text,
    visible_length,
)

__all__ = ["CALLBACK_ANSWER_MAX", "CAPTION_MAX", "MESSAGE_MAX", "WithinTelegramLimits",
           "clip_html", "clip_text", "visible_length"]

log = logging.getLogger(__name__)


def _parse_mode(method: TelegramMethod[Any], bot: Bot) -> str | None:
    mode = getattr(method, "parse_mode", None)
    if isinstance(mode, Default):
        mode = bot.default[mode.name]
    if getattr(method, "entities", None) or getattr(method, "caption_entities", None):
        return None
    return mode


def _clip(value: str, limit: int, parse_mode: str | None) -> str:
    return clip_html(value, limit) if parse_mode == ParseMode.HTML else clip_text(value, limit)


class WithinTelegramLimits(BaseRequestMiddleware):
    """Clips message texts, captions and press notices that Telegram would refuse."""

    CAPTIONED = (SendPhoto, SendDocument, SendVideo, SendAnimation, SendAudio, SendVoice,
                 CopyMessage, EditMessageCaption)

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        if isinstance(method, SendMessage | EditMessageText):
            method.text = self._kept(method, "text", method.text, MESSAGE_MAX, bot)
        elif isinstance(method, self.CAPTIONED):
            caption = getattr(method, "caption", None)
            if caption:
                method.caption = self._kept(method, "caption", caption, CAPTION_MAX, bot)
        elif isinstance(method, SendMediaGroup):
            for media in method.media:
                if media.caption:
                    media.caption = self._kept(media, "caption", media.caption, CAPTION_MAX,
                                               bot)
        elif isinstance(method, AnswerCallbackQuery) and method.text:
            method.text = self._kept(method, "text", method.text, CALLBACK_ANSWER_MAX, bot)
        return await make_request(bot, method)

    @staticmethod
    def _kept(owner: Any, field: str, value: str, limit: int, bot: Bot) -> str:
        if 2 * len(value) <= limit:
            # Fits whatever its markup: a character is at most two UTF-16 units, and parsing
            # markup only shortens. Spares stripping the tags of nearly every text (~2 %).
            return value
        parse_mode = _parse_mode(owner, bot)
        if visible_length(value, parse_mode) <= limit:
            return value
        log.warning("clipped %s.%s of %d characters to Telegram's %d",
                    type(owner).__name__, field, visible_length(value, parse_mode), limit)
        return _clip(value, limit, parse_mode)
