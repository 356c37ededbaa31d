"""The main menu: its sections from the features' entries, `/menu`, help, "coming soon"."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from handlers.core import screens
from handlers.core.callbacks import HELP, MAIN, MAIN_MENU, MenuCB, open_section
from handlers.kit.feature import MenuEntry
from handlers.kit.screen import Rows
from handlers.kit.show import show
from services.i18n import Texts
from services.models import Resident


@dataclass(frozen=True, slots=True)
class MainMenu:
    """The main menu's sections, from the features' menu entries (handed in at start-up)."""

    entries: tuple[MenuEntry, ...]

    @classmethod
    def of(cls, entries: Iterable[MenuEntry]) -> MainMenu:
        ordered = tuple(sorted(entries, key=lambda e: e.order))
        if len({e.section for e in ordered}) != len(ordered):
            raise ValueError("two features declare the same main-menu section")
        return cls(ordered)

    @property
    def sections(self) -> tuple[str, ...]:
        return tuple(e.section for e in self.entries)

    def rows(self, tr: Texts) -> Rows:
        return screens.menu_rows(tr, self.entries, open_section)


async def show_main_menu(event: Message | CallbackQuery, tr: Texts,
                         resident: Resident | None, main_menu: MainMenu) -> None:
    await show(event, screens.main_menu(tr, resident, main_menu.rows(tr)))


async def menu_command(message: Message, state: FSMContext, tr: Texts,
                       resident: Resident | None, main_menu: MainMenu) -> None:
    await state.clear()
    await show_main_menu(message, tr, resident, main_menu)


async def menu_main(query: CallbackQuery, state: FSMContext, tr: Texts,
                    resident: Resident | None, main_menu: MainMenu) -> None:
    await state.set_state(None)
    await show_main_menu(query, tr, resident, main_menu)


async def menu_help(query: CallbackQuery, tr: Texts) -> None:
    await show(query, screens.help_screen(tr, MAIN_MENU))


async def menu_not_ready(query: CallbackQuery, callback_data: MenuCB, tr: Texts) -> None:
    """A section whose feature is not built yet says so politely and offers the way back."""
    await show(query, screens.coming_soon(tr, callback_data.section, MAIN_MENU))


def router() -> Router:
    menu = Router(name="menu")
    menu.message.register(menu_command, Command("menu"))
    menu.callback_query.register(menu_main, MenuCB.filter(F.section == MAIN))
    menu.callback_query.register(menu_help, MenuCB.filter(F.section == HELP))
    return menu


def sections_fallback_router() -> Router:
    """Sections whose feature is not built yet; included last, after every feature's section."""
    fallback = Router(name="menu-fallback")
    fallback.callback_query.register(menu_not_ready, MenuCB.filter())
    return fallback
