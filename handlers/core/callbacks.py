"""The main menu's buttons: one family, the section to open."""

from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

MAIN = "main"  # the main menu itself
HELP = "help"

# A section is a feature's menu name (handlers.kit.feature.MenuEntry's rule): anything else in
# a pressed button was forged, and gets "this button no longer works".
SectionName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)]


class MenuCB(CallbackData, prefix="m"):
    section: SectionName


def open_section(section: str) -> MenuCB:
    return MenuCB(section=section)


MAIN_MENU = open_section(MAIN)
