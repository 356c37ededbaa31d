"""Small rendering helpers: one message edited in place, keyboards with a way back."""

from __future__ import annotations

import contextlib

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
)

Markup = InlineKeyboardMarkup | ReplyKeyboardRemove | None


async def show(event: Message | CallbackQuery, text: str, markup: Markup = None) -> Message | None:
    """Edit the pressed message in place, or answer a typed message with a new one."""
    if isinstance(event, CallbackQuery):
        message = event.message
        if message is not None and not isinstance(message, InaccessibleMessage):
            inline = markup if isinstance(markup, InlineKeyboardMarkup) else None
            try:
                edited = await message.edit_text(text, reply_markup=inline)
                return edited if isinstance(edited, Message) else message
            except TelegramBadRequest as exc:
                if "message is not modified" in exc.message:
                    return message
                # Too old to edit, or a photo message: send a fresh one instead.
        if event.from_user is None or event.bot is None:
            return None
        return await event.bot.send_message(event.from_user.id, text, reply_markup=markup)
    return await event.answer(text, reply_markup=markup)


def rows(*buttons: InlineKeyboardButton | None, width: int = 1) -> list[list[InlineKeyboardButton]]:
    present = [b for b in buttons if b is not None]
    return [present[i : i + width] for i in range(0, len(present), width)]


def keyboard(*rows_: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[r for r in rows_ if r])


async def drop_keyboard(message: Message | InaccessibleMessage | None) -> None:
    """Remove the buttons of a message that is done with (best effort)."""
    if isinstance(message, Message):
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_reply_markup(reply_markup=None)
