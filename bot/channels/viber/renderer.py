"""How screens reach a Viber subscriber: a text screen's buttons become the neutral specs the
Viber keyboard is drawn from and go out as one Viber message, with no Bot API method in
between; a screen with a picture or file goes through the aiogram renderer, whose calls the
session turns into Viber messages.

Viber cannot edit: a pressed button's screen is a new message, which takes the keyboard off
unless the screen has buttons (as an edit without buttons takes them off on Telegram); a
typed message's answer without buttons keeps the keyboard the person was shown. Viber has no
inline mode: a share that would type an inline query (a petition's card) offers the share's
forward text and deep link instead, through Viber's own share sheet (viber://forward).
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from aiogram.types import CallbackQuery, Message

from bot.channels.telegram.render import TelegramRenderer, can_edit_in_place
from bot.channels.viber.render import Links, Spec
from bot.channels.viber.session import ViberSession
from handlers.kit.screen import Button, InputRequest, RequestKind, Screen
from handlers.kit.show import Shown


def _for_viber(button: Button) -> Button:
    if button.share is None:
        return button
    return replace(button, share=button.share.without_inline_mode())


def for_viber(screen: Screen) -> Screen:
    if not any(b.share is not None for b in screen.buttons):
        return screen
    return replace(screen, rows=tuple(tuple(_for_viber(b) for b in row) for row in screen.rows))


def button_spec(button: Button, links: Links) -> Spec | None:
    """One button as a keyboard spec; None for what Viber has no counterpart of (a bare
    inline query)."""
    if button.action is not None:
        return {"text": button.text, "callback": button.packed}
    if button.url is not None:
        return {"text": button.text, "url": button.url}
    if button.link is not None:
        return {"text": button.text, "link": button.link.payload}
    share = button.share
    if share is None or share.link is None:
        return None
    shared = " ".join(v for v in (share.text, links.deep_link(share.link.payload)) if v)
    return {"text": button.text, "url": f"viber://forward?text={quote(shared, safe='')}"}


def request_specs(request: InputRequest) -> list[list[Spec]]:
    """The one-tap share button, and the skip / cancel buttons that send their label."""
    share: Spec = {"text": request.text,
                   "phone" if request.kind == RequestKind.PHONE else "location": "1"}
    extra: list[Spec] = [{"text": t, "reply": t} for t in (request.skip, request.cancel) if t]
    return [[share], *([extra] if extra else [])]


def screen_specs(screen: Screen, links: Links) -> tuple[list[list[Spec]] | None, bool]:
    """(button rows or None, whether to take the keyboard off) of a screen."""
    if screen.request is not None:
        return request_specs(screen.request), False
    if screen.remove_reply_keyboard:
        return None, True
    rows = [line for row in screen.rows
            if (line := [s for b in row if (s := button_spec(b, links)) is not None])]
    return (rows or None), False


class ViberRenderer:
    """The renderer registered for the Viber channel's bot."""

    def __init__(self, session: ViberSession) -> None:
        self._session = session
        self._with_media = TelegramRenderer()

    async def show(self, event: Message | CallbackQuery, screen: Screen) -> Shown | None:
        screen = for_viber(screen)
        if screen.media is not None or event.bot is None:  # Viber fetches files by URL
            return await self._with_media.show(event, screen)
        chat_id, edit = event.from_user.id if event.from_user else 0, False
        if isinstance(event, Message):
            chat_id = event.chat.id
        elif isinstance(event.message, Message) and can_edit_in_place(screen):
            chat_id, edit = event.message.chat.id, True
        rows, remove = screen_specs(screen, await self._session.outgoing.links())
        return await self._session.send_text(event.bot, chat_id, screen.text, rows,
                                             remove or (edit and rows is None))
