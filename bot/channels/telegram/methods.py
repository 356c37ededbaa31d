"""A text screen's Bot API calls with its inline keyboard already in the Bot API's JSON.

Through aiogram, every button of every screen became an `InlineKeyboardButton` model, the
keyboard a model around them, and the session dumped and prepared them all back into plain
values: about a sixth of the CPU of a menu tap. These calls carry the keyboard as the JSON
it becomes (`keyboard_json` of the screen's buttons); our JSON session (session.py) puts
it in the body. Built with `model_construct` from values that came validated (the pressed
message, the update, the screen): validating them again was ~1 % of a tap. Everything else
(text, chat, defaults, session middlewares, the reply) goes as for aiogram's own
`SendMessage` and `EditMessageText`, which they are.
"""

from __future__ import annotations

from aiogram.methods import EditMessageText, SendMessage
from pydantic import Field

__all__ = ["KeyboardJSON", "ScreenEdit", "ScreenMessage"]

KeyboardJSON = list[list[dict[str, str]]]  # as handlers.kit.render_aiogram.keyboard_json


class ScreenMessage(SendMessage):
    """`sendMessage` of a text screen; `keyboard`: its inline keyboard as JSON (not a field
    of the call: the session puts it in the body as `reply_markup`)."""

    keyboard: KeyboardJSON | None = Field(default=None, exclude=True)


class ScreenEdit(EditMessageText):
    """`editMessageText` of a text screen; `keyboard` as for ScreenMessage."""

    keyboard: KeyboardJSON | None = Field(default=None, exclude=True)
