"""The main menu and its sections."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from handlers.ui import show
from services import residents
from services.i18n import Texts
from services.models import Resident

router = Router(name="menu")
# Sections whose feature is not built yet; included last, after every feature's section.
sections_fallback_router = Router(name="menu-fallback")

SECTIONS: tuple[str, ...] = (
    "appeals", "petitions", "polls", "votes", "subscriptions", "settings", "help",
)


class MenuCB(CallbackData, prefix="m"):
    section: str


def menu_button(tr: Texts) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=tr("menu.back_to_menu"),
                                callback_data=MenuCB(section="main").pack())


def main_menu_markup(tr: Texts) -> InlineKeyboardMarkup:
    def button(section: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text=tr(f"menu.{section}"),
                                    callback_data=MenuCB(section=section).pack())

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button("appeals"), button("petitions")],
            [button("polls"), button("votes")],
            [button("subscriptions"), button("settings")],
            [button("help")],
        ]
    )


def main_menu_text(tr: Texts, resident: Resident | None) -> str:
    name = residents.first_name(resident.full_name) if resident else ""
    return tr("menu.title", name=name) if name else tr("menu.title_anonymous")


async def show_main_menu(event: Message | CallbackQuery, tr: Texts,
                         resident: Resident | None) -> None:
    await show(event, main_menu_text(tr, resident), main_menu_markup(tr))


@router.message(Command("menu"))
async def menu_command(message: Message, state: FSMContext, tr: Texts,
                       resident: Resident | None) -> None:
    await state.clear()
    await show_main_menu(message, tr, resident)


@router.callback_query(MenuCB.filter(F.section == "main"))
async def menu_main(query: CallbackQuery, state: FSMContext, tr: Texts,
                    resident: Resident | None) -> None:
    await state.set_state(None)
    await show_main_menu(query, tr, resident)


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
