"""The core feature's declaration: commands that work in every state, the main menu and help,
the catch-alls for anything nobody else answered, and the outbox clean-up job."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Router

from handlers import common, menu
from handlers.kit.feature import Command, Feature, MenuEntry, Periodic
from services import outbox
from services.jobs import daily_at


def _routers() -> Sequence[Router]:
    return (common.router, menu.router)


def _fallbacks() -> Sequence[Router]:
    # Sections not built yet say "coming soon"; then whatever nobody answered.
    return (menu.sections_fallback_router, common.fallback_router)


feature = Feature(
    name="core",
    routers=_routers,
    fallback_routers=_fallbacks,
    menu=MenuEntry("help", order=70),
    commands=(Command("menu", order=20), Command("help", order=30),
              Command("cancel", order=70)),
    jobs=(Periodic("outbox.purge_finished", daily_at(3), outbox.purge_job),),
)
