"""The core feature: commands that work in every state, the main menu and help, the catch-alls
for anything nobody else answered, and the clean-up jobs of the outbox and the inbox of
callbacks.

Every feature may import this package's names (the menu's button, action and screen); it
imports no feature back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from handlers.core import common, menu
from handlers.core.callbacks import MAIN_MENU, MenuCB, open_section
from handlers.core.menu import MainMenu, show_main_menu
from handlers.core.screens import main_menu_text
from handlers.kit.feature import Command, Feature, MenuEntry, Periodic
from services import inbox, outbox
from services.jobs import daily_at

if TYPE_CHECKING:
    from aiogram import Router

__all__ = ["MAIN_MENU", "MainMenu", "MenuCB", "feature", "main_menu_text",
           "open_section", "show_main_menu"]


def _routers() -> Sequence[Router]:
    return (common.router(), menu.router())


def _fallbacks() -> Sequence[Router]:
    # Sections not built yet say "coming soon"; then whatever nobody answered.
    return (menu.sections_fallback_router(), common.fallback_router())


feature = Feature(
    name="core",
    routers=_routers,
    fallback_routers=_fallbacks,
    menu=MenuEntry("help", order=70),
    commands=(Command("menu", order=20), Command("help", order=30),
              Command("cancel", order=70)),
    jobs=(Periodic("outbox.purge_finished", daily_at(3), outbox.purge_job),
          Periodic("inbox.purge_finished", daily_at(3), inbox.purge_job)),
)
