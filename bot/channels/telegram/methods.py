"""A text screen's Bot API calls with its inline keyboard already in the Bot API's JSON.

Through aiogram, every button of every screen became an `InlineKeyboardButton` model, the
keyboard a model around them, and the session dumped and prepared them all back into plain
values: about a sixth of the CPU of a menu tap. These calls carry the keyboard as the JSON
it becomes (`keyboard_json` of the screen's buttons); our JSON session (session.py) puts
it in the body. Everything else (text, chat, defaults, session middlewares, the reply) goes
as for aiogram's own `SendMessage` and `EditMessageText`, which they are.
"""

from __future__ import annotations

from typing import Any

from aiogram.methods import EditMessageText, SendMessage
from pydantic import PrivateAttr

__all__ = ["KeyboardJSON", "ScreenEdit", "ScreenMessage"]

KeyboardJSON = list[list[dict[str, str]]]  # as handlers.kit.render_aiogram.keyboard_json


class ScreenMessage(SendMessage):
    """`sendMessage` of a text screen; `keyboard` is its inline keyboard as JSON."""

    _keyboard: KeyboardJSON | None = PrivateAttr(default=None)

    @classmethod
    def of(cls, keyboard: KeyboardJSON | None, **fields: Any) -> ScreenMessage:
        method = cls.model_construct(**fields)  # values the renderer took from valid models
        method._keyboard = keyboard
        return method

    @property
    def keyboard(self) -> KeyboardJSON | None:
        return self._keyboard


class ScreenEdit(EditMessageText):
    """`editMessageText` of a text screen; `keyboard` is its inline keyboard as JSON."""

    _keyboard: KeyboardJSON | None = PrivateAttr(default=None)

    @classmethod
    def of(cls, keyboard: KeyboardJSON | None, **fields: Any) -> ScreenEdit:
        method = cls.model_construct(**fields)  # values the renderer took from valid models
        method._keyboard = keyboard
        return method

    @property
    def keyboard(self) -> KeyboardJSON | None:
        return self._keyboard
