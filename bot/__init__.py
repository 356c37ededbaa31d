"""Hromada bot: the transport side (Telegram wiring, middlewares, scheduler, entry point)."""

from bot.lazy_types import defer_aiogram_type_builds

# First, before anything imports aiogram: its types are built when first used (lazy_types).
defer_aiogram_type_builds()
