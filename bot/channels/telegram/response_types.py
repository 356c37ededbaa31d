"""Keeps aiogram's parametrised reply models alive for as long as the process runs.

aiogram reads every reply as `Response[method.__returning__]`. Built inside a function, such a
pydantic class is cached only weakly, so after each garbage collection the next request built
and validated a whole new model class again (about a millisecond of CPU, more than the rest
of a menu tap). One strong reference per method type keeps pydantic's cache warm.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

# Shared by every Bot of the process: the classes do not depend on the bot.
_kept: dict[type[Any], Any] = {}


class KeepResponseTypes(BaseRequestMiddleware):
    """A session middleware: the first request of each method type pins its reply model."""

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        kind = type(method)
        if kind not in _kept:
            _kept[kind] = Response[method.__returning__]  # type: ignore[name-defined]
        return await make_request(bot, method)
