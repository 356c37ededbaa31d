"""A text screen's Bot API calls with its inline keyboard already in the Bot API's JSON.

Through aiogram, every button of every screen became an `InlineKeyboardButton` model, the
keyboard a model around them, and the session dumped and prepared them all back into plain
values: about a sixth of the CPU of a menu tap. These calls carry the keyboard as the JSON
it becomes (`keyboard_json` of the screen's buttons); our JSON session (session.py) puts
it in the body. Built with `model_construct` from values that came validated (the pressed
message, the update, the screen): validating them again was ~1 % of a tap. Everything else
(text, chat, defaults, session middlewares) goes as for aiogram's own `SendMessage` and
`EditMessageText`, which they are; of the reply only which message it is is read.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import Chat, TelegramObject
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["KeyboardJSON", "ScreenEdit", "ScreenMessage", "ShownMessage", "construct"]

KeyboardJSON = list[list[dict[str, str]]]  # as handlers.kit.render_aiogram.keyboard_json


class ShownMessage(TelegramObject):
    """What a screen's call reads of the message it sent or edited: which message it is.
    Validating the whole reply as a `Message` (its text, entities and every button again)
    cost ~55 us a call against ~12 us for this."""

    model_config = ConfigDict(extra="ignore")

    message_id: int
    chat: Chat


class ScreenMessage(SendMessage):
    """`sendMessage` of a text screen; `keyboard`: its inline keyboard as JSON (not a field
    of the call: the session puts it in the body as `reply_markup`). Its reply is read as a
    ShownMessage (aiogram's generic type still says Message)."""

    __returning__ = ShownMessage  # type: ignore[assignment]

    keyboard: KeyboardJSON | None = Field(default=None, exclude=True)


class ScreenEdit(EditMessageText):
    """`editMessageText` of a text screen; `keyboard` and the reply as for ScreenMessage."""

    __returning__ = ShownMessage | bool

    keyboard: KeyboardJSON | None = Field(default=None, exclude=True)


_Call = TypeVar("_Call", bound=BaseModel)


@cache
def _defaults(call: type[BaseModel]) -> dict[str, Any]:
    return {name: field.get_default(call_default_factory=False)
            for name, field in call.model_fields.items()
            if not field.is_required() and field.default_factory is None}


def construct(call: type[_Call], **values: Any) -> _Call:
    """`call.model_construct(**values)` with the optional fields' defaults made once per class
    and shared: model_construct deep-copies each at every call (aiogram's `Default` markers
    of parse mode and link previews), ~6 % of a menu tap. The defaults are None or those
    markers, which nothing changes; the fields set stay those given."""
    return call.model_construct(_fields_set=set(values), **{**_defaults(call), **values})
