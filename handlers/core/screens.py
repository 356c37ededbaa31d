"""The core screens: the main menu, help, "coming soon", what /cancel and the catch-alls say.

Pure: the buttons' actions come in from the routers (callbacks import aiogram).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from handlers.kit.feature import MenuEntry
from handlers.kit.keyboard import Keyboard
from handlers.kit.screen import Action, Button, Rows, Screen
from services.i18n import Texts
from services.models import Resident
from services.residents import first_name

MENU_WIDTH = 2


def menu_rows(tr: Texts, entries: Iterable[MenuEntry],
              open_section: Callable[[str], Action]) -> Rows:
    """Two sections a row, in the entries' order."""
    keyboard = Keyboard().add(*(Button(tr(e.text_key), open_section(e.section))
                                for e in entries))
    return keyboard.adjust(MENU_WIDTH).build()


def main_menu_text(tr: Texts, resident: Resident | None) -> str:
    name = first_name(resident.full_name) if resident else ""
    return tr("menu.title", name=name) if name else tr("menu.title_anonymous")


def main_menu(tr: Texts, resident: Resident | None, rows: Rows) -> Screen:
    return Screen(main_menu_text(tr, resident), rows)


def with_menu_button(tr: Texts, text: str, menu: Action) -> Screen:
    """A text with the one way on: back to the main menu."""
    return Screen(text, Keyboard().menu(menu, tr).build())


def help_screen(tr: Texts, menu: Action) -> Screen:
    return with_menu_button(tr, tr("help.text"), menu)


def coming_soon(tr: Texts, section: str, menu: Action) -> Screen:
    """A section whose feature is not built yet."""
    return with_menu_button(tr, tr("menu.coming_soon", section=tr(f"menu.{section}")), menu)


def cancelled(tr: Texts, had_dialog: bool) -> Screen:
    """/cancel's answer; it also takes away a reply keyboard (the phone button, say)."""
    return Screen(tr("common.cancelled" if had_dialog else "common.nothing_to_cancel"),
                  remove_reply_keyboard=True)


def anonymous_menu(tr: Texts, rows: Rows) -> Screen:
    return Screen(tr("menu.title_anonymous"), rows)


def unknown_message(tr: Texts, rows: Rows) -> Screen:
    return Screen(tr("common.unknown_message"), rows)
