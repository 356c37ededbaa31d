"""The press service's buttons, shared with the public event list (which adds "manage" rows
for press staff) without the two routers importing each other."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton

from handlers.kit.ids import RowId, SmallNumber
from services.i18n import Raw, Texts
from services.models import Event


class PressCB(CallbackData, prefix="pr"):
    action: str
    value: str = ""
    id: RowId = 0
    page: SmallNumber = 0


def press_button(text: str, action: str, value: str = "", id_: int = 0, page: int = 0
                 ) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=PressCB(action=action, value=value,
                                                                 id=id_, page=page).pack())


def manage_buttons(tr: Texts, items: list[Event]) -> list[list[InlineKeyboardButton]]:
    """Extra rows for press staff under the public event list: open one to edit or cancel."""
    return [[press_button(tr("press.event.manage_button", title=Raw(e.title[:28])), "ev_manage",
                          id_=e.id)]
            for e in items]
