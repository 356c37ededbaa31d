"""Telegram's length limits, kept by every request the bot makes.

A message over 4,096 characters (a caption over 1,024, a button-press notice over 200) is
refused with 400, and the resident gets nothing. Texts that quote what people typed clip
it where they render it (`services.i18n.echo`); this request middleware is the net under
everything else: it clips the visible text, keeps the HTML well-formed, and logs it.
"""

from __future__ import annotations

import html
import logging
import re
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

log = logging.getLogger(__name__)

MESSAGE_MAX = 4096
CAPTION_MAX = 1024
CALLBACK_ANSWER_MAX = 200
ELLIPSIS = "…"

_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|[^<&]+|[<&]")


def visible_length(text: str, parse_mode: str | None = ParseMode.HTML) -> int:
    """Length as Telegram counts it: after parsing the markup, in UTF-16 code units."""
    if parse_mode == ParseMode.HTML:
        text = html.unescape(re.sub(r"<[^>]*>", "", text))
    return len(text.encode("utf-16-le")) // 2


def clip_text(text: str, limit: int) -> str:
    """Plain text within `limit` UTF-16 units, ending in "…" when cut."""
    if visible_length(text, None) <= limit:
        return text
    budget, kept = limit - 1, []
    for char in text:
        budget -= visible_length(char, None)
        if budget < 0:
            break
        kept.append(char)
    return "".join(kept).rstrip() + ELLIPSIS


def clip_html(text: str, limit: int) -> str:
    """HTML whose visible text fits `limit`; tags left open by the cut are closed again."""
    if visible_length(text) <= limit:
        return text
    budget = limit - 1  # room for the ellipsis
    out: list[str] = []
    open_tags: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if match.group(2):  # a tag: kept whole, so the markup stays balanced
            name = match.group(2).lower()
            if match.group(1):
                for i in range(len(open_tags) - 1, -1, -1):
                    if open_tags[i] == name:
                        del open_tags[i]
                        break
            elif not token.endswith("/>"):
                open_tags.append(name)
            out.append(token)
            continue
        # An entity (`&lt;`) is one character, never split; anything else is a run of text.
        chars = [token] if token[0] in "<&" else list(token)
        for char in chars:
            units = visible_length(char)
            if units > budget:
                budget = -1
                break
            budget -= units
            out.append(char)
        if budget < 0:
            break
    return "".join(out).rstrip() + ELLIPSIS + "".join(f"</{t}>" for t in reversed(open_tags))


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
        parse_mode = _parse_mode(owner, bot)
        if visible_length(value, parse_mode) <= limit:
            return value
        log.warning("clipped %s.%s of %d characters to Telegram's %d",
                    type(owner).__name__, field, visible_length(value, parse_mode), limit)
        return _clip(value, limit, parse_mode)
