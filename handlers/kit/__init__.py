"""The channel-neutral UI kit: screens, keyboards, the pager, feature declarations, show().

Import the modules themselves (``from handlers.kit.screen import Screen``): this package
imports nothing, so the aiogram-free modules stay aiogram-free when imported.
"""
