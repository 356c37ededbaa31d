"""The profile feature's declaration: `/start` and onboarding, `/settings`, `/forget`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import Router

from handlers import onboarding, settings
from handlers.kit.feature import Command, Feature, MenuEntry
from handlers.onboarding import ProfileRules
from services import residents


def profile_rules(values: Any) -> ProfileRules:
    secret = values.phone_hash_secret
    return ProfileRules(
        city_name=values.city_name,
        privacy_policy_url=values.privacy_policy_url,
        retention_days=values.outbox_retention_days,
        limits=residents.Limits(name_max=values.name_max_length,
                                address_max=values.address_max_length),
        phone_secret=secret.get_secret_value() if secret is not None else None,
    )


def _routers() -> Sequence[Router]:
    return (onboarding.router, settings.router)


def _fallbacks() -> Sequence[Router]:
    # The plain `/start`, after the features, so their deep links (`/start petition_12`) win.
    return (onboarding.start_router,)


feature = Feature(
    name="profile",
    routers=_routers,
    fallback_routers=_fallbacks,
    menu=MenuEntry("settings", order=60),
    commands=(Command("start", order=10), Command("settings", order=40),
              Command("forget", order=80)),
    settings=profile_rules,
)
