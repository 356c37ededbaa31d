"""The `/settings` screen, shown by the settings dialog and at the end of a profile edit
(onboarding's steps); its own module so neither imports the other."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from handlers.menu import menu_button
from handlers.ui import show
from services.i18n import Texts
from services.models import Resident


class SettingsCB(CallbackData, prefix="st"):
    action: str
    value: str = ""


def settings_button(tr: Texts, key: str, action: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=tr(key), callback_data=SettingsCB(action=action,
                                                                       value=value).pack())


def settings_markup(tr: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [settings_button(tr, "settings.language", "language")],
        [settings_button(tr, "settings.edit_name", "name"),
         settings_button(tr, "settings.edit_address", "address")],
        [settings_button(tr, "settings.quiet_hours", "quiet")],
        [settings_button(tr, "settings.forget", "forget")],
        [menu_button(tr)],
    ])


def settings_text(tr: Texts, resident: Resident) -> str:
    quiet = (
        tr("settings.quiet_value", start=f"{resident.quiet_from:02d}:00",
           end=f"{resident.quiet_to:02d}:00")
        if resident.quiet_from is not None and resident.quiet_to is not None
        else tr("settings.quiet_off")
    )
    return tr(
        "settings.title",
        language=tr(f"settings.language_name.{resident.language}"),
        name=resident.full_name or "—",
        address=resident.address or "—",
        phone=tr("settings.phone_verified" if resident.is_verified else "settings.phone_missing"),
        quiet=quiet,
    )


async def show_settings(event: Message | CallbackQuery, tr: Texts, resident: Resident) -> None:
    await show(event, settings_text(tr, resident), settings_markup(tr))
