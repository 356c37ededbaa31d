"""Compatibility: the main menu moved to handlers.core; features not moved yet import it here.

Import ``from handlers.core import ...`` instead; this module goes once nothing imports it.
"""

from handlers.core import MainMenu, MenuCB, main_menu_text, menu_button, show_main_menu

__all__ = ["MainMenu", "MenuCB", "main_menu_text", "menu_button", "show_main_menu"]
