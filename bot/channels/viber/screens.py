"""How screens reach a Viber subscriber: the aiogram renderer (its Bot API calls become Viber
messages in the session), after what Viber cannot do is replaced by what it can.

Viber has no inline mode: a share that would type an inline query (a petition's card) offers
the share's forward text and deep link instead, which the session turns into Viber's own
share sheet (viber://forward).
"""

from __future__ import annotations

from dataclasses import replace

from aiogram.types import CallbackQuery, Message

from bot.channels.telegram.render import TelegramRenderer
from handlers.kit.screen import Button, Screen


def _for_viber(button: Button) -> Button:
    if button.share is None:
        return button
    return replace(button, share=button.share.without_inline_mode())


def for_viber(screen: Screen) -> Screen:
    if not any(b.share is not None for b in screen.buttons):
        return screen
    return replace(screen, rows=tuple(tuple(_for_viber(b) for b in row) for row in screen.rows))


class ViberRenderer(TelegramRenderer):
    """The renderer registered for the Viber channel's bot."""

    async def show(self, event: Message | CallbackQuery, screen: Screen) -> Message | None:
        return await super().show(event, for_viber(screen))
