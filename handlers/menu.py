"""The main menu and its sections."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from handlers.kit.feature import MenuEntry
from handlers.ui import show
from services import residents
from services.i18n import Texts
from services.models import Resident

router = Router(name="menu")
# Sections whose feature is not built yet; included last, after every feature's section.
sections_fallback_router = Router(name="menu-fallback")

MENU_WIDTH = 2


class MenuCB(CallbackData, prefix="m"):
    section: str


def menu_button(tr: Texts) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=tr("menu.back_to_menu"),
                                callback_data=MenuCB(section="main").pack())


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

    def markup(self, tr: Texts) -> InlineKeyboardMarkup:
        """Two sections a row, in the entries' order."""
        buttons = [InlineKeyboardButton(text=tr(e.text_key),
                                        callback_data=MenuCB(section=e.section).pack())
                   for e in self.entries]
        return InlineKeyboardMarkup(inline_keyboard=[
            buttons[i:i + MENU_WIDTH] for i in range(0, len(buttons), MENU_WIDTH)])


def main_menu_text(tr: Texts, resident: Resident | None) -> str:
    name = residents.first_name(resident.full_name) if resident else ""
    return tr("menu.title", name=name) if name else tr("menu.title_anonymous")


async def show_main_menu(event: Message | CallbackQuery, tr: Texts,
                         resident: Resident | None, main_menu: MainMenu) -> None:
    await show(event, main_menu_text(tr, resident), main_menu.markup(tr))


@router.message(Command("menu"))
async def menu_command(message: Message, state: FSMContext, tr: Texts,
                       resident: Resident | None, main_menu: MainMenu) -> None:
    await state.clear()
    await show_main_menu(message, tr, resident, main_menu)


@router.callback_query(MenuCB.filter(F.section == "main"))
async def menu_main(query: CallbackQuery, state: FSMContext, tr: Texts,
                    resident: Resident | None, main_menu: MainMenu) -> None:
    await state.set_state(None)
    await show_main_menu(query, tr, resident, main_menu)


@router.callback_query(MenuCB.filter(F.section == "help"))
async def menu_help(query: CallbackQuery, tr: Texts) -> None:
    await show(query, tr("help.text"),
               InlineKeyboardMarkup(inline_keyboard=[[menu_button(tr)]]))


@sections_fallback_router.callback_query(MenuCB.filter())
async def menu_not_ready(query: CallbackQuery, callback_data: MenuCB, tr: Texts) -> None:
    """A section whose feature is not built yet says so politely and offers the way back."""
    await show(
        query,
        tr("menu.coming_soon", section=tr(f"menu.{callback_data.section}")),
        InlineKeyboardMarkup(inline_keyboard=[[menu_button(tr)]]),
    )
