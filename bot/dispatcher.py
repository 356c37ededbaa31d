"""The dispatcher: middlewares, then the routers of every feature in bot/features.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import Bot, Router
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.telegram.commands import CommandMenus, command_menus, set_staff_commands
from bot.config import Settings
from bot.dialogs import DialogStateMiddleware
from bot.features import FEATURES, build_sections, menu_entries
from bot.middlewares import (
    AnswerCallbacksMiddleware,
    DbSessionMiddleware,
    OnePersonAtATimeMiddleware,
    PrivateChatsOnlyMiddleware,
    ThrottlingMiddleware,
    UserContextMiddleware,
)
from bot.routing import speed_up_routing
from bot.updates import SkippingDispatcher
from handlers.core import MainMenu
from handlers.kit.feature import Feature
from handlers.staff import StaffCommands
from services import timeutil
from services.i18n import Translator, get_translator
from services.models import Role


def build_storage(settings: Settings, redis: Any | None = None,
                  prefix: str = "fsm") -> BaseStorage:
    """In-memory FSM for one process; Redis when configured, so many processes share dialogs."""
    if redis is None:
        return MemoryStorage()
    from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage

    return RedisStorage(redis, key_builder=DefaultKeyBuilder(prefix=prefix, with_destiny=True))


def feature_routers(features: Sequence[Feature] = FEATURES) -> list[Router]:
    """Every feature's routers in the registry's order, then the features' catch-alls in
    reverse order, so the core feature's (unknown command, unknown message) come last."""
    routers = [router for feature in features for router in feature.routers()]
    for feature in reversed(features):
        routers += feature.fallback_routers()
    return routers


def staff_commands_refresher(translator: Translator, menus: CommandMenus,
                             default_language: str) -> StaffCommands:
    """What `/grant` and `/revoke` call to publish the changed person's command list."""

    async def refresh(bot: Bot, chat_id: int, roles: frozenset[Role]) -> None:
        await set_staff_commands(bot, translator, menus, chat_id, roles, default_language)

    return refresh


def build_dispatcher(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    storage: BaseStorage | None = None,
    redis: Any | None = None,
    translator: Translator | None = None,
    key_prefix: str = "hromada",
    features: Sequence[Feature] = FEATURES,
) -> SkippingDispatcher:
    """The dispatcher; `key_prefix` names this bot's keys in a shared Redis."""
    # Before anything runs: every date shown, "today" and deadline use the council's calendar.
    timeutil.configure(settings.timezone, settings.extra_days_off)
    translator = translator or get_translator()
    dp = SkippingDispatcher(
        storage=storage or build_storage(settings, redis, prefix=f"{key_prefix}:fsm"))
    dp["sessionmaker"] = sessionmaker
    dp["translator"] = translator
    # Each feature's rules, built once here; handlers take the one they need by name.
    sections = build_sections(settings, features)
    dp["sections"] = sections
    for name, section in sections.named().items():
        dp[name] = section
    dp["main_menu"] = MainMenu.of(menu_entries(features))
    dp["staff_commands"] = staff_commands_refresher(translator, command_menus(features),
                                                    settings.default_language)

    # The FSM middleware reads the dialog state up front, so it must come after the per-person
    # ordering: re-register it behind ours.
    dp.update.outer_middleware.unregister(dp.fsm)
    # Before anything else: a group chat or an update without a sender goes no further.
    dp.update.outer_middleware(PrivateChatsOnlyMiddleware(translator, settings))
    dp.update.outer_middleware(ThrottlingMiddleware(
        translator, settings.throttle_rate, settings.throttle_burst, redis, key_prefix))
    dp.update.outer_middleware(OnePersonAtATimeMiddleware())
    dp.update.outer_middleware(dp.fsm)
    dp.update.outer_middleware(DbSessionMiddleware(sessionmaker))
    user_context = UserContextMiddleware(translator, settings)
    dp.update.outer_middleware(user_context)

    async def look_ahead(updates: list[Update]) -> None:
        await user_context.look_ahead_at_updates(sessionmaker, updates)

    dp.before_batch = look_ahead
    dp.profiles_ahead = user_context.look_ahead
    dp.update.outer_middleware(DialogStateMiddleware())
    dp.callback_query.middleware(AnswerCallbacksMiddleware())

    # The busiest routes (menu, onboarding steps, settings) come first so a tap does not walk
    # every feature's filters; the catch-alls come last.
    for router in feature_routers(features):
        _detach(router)
        dp.include_router(router)
    speed_up_routing(dp)
    return dp


def _detach(router: Router) -> None:
    """Routers are module-level singletons; a second dispatcher in one process (tests,
    benchmarks) takes them over from the first."""
    parent = router.parent_router
    if parent is not None:
        parent.sub_routers.remove(router)
        router._parent_router = None
