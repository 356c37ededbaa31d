"""The profile feature: `/start` and onboarding, linking accounts that share a phone,
`/settings`, `/forget`.

Other features import from here: `require_profile` (a complete profile, or onboarding first),
`on_resume` (where a finished onboarding brings the person back) and `ProfileRules`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from handlers.kit.feature import Command, Feature, MenuEntry
from handlers.profile import district, forget, linking, onboarding, settings
from handlers.profile.flow import on_resume, require_profile
from services.profile import Limits, ProfileRules

if TYPE_CHECKING:
    from aiogram import Router

__all__ = ["ProfileRules", "feature", "on_resume", "profile_rules", "require_profile"]


def profile_rules(values: Any) -> ProfileRules:
    """The settings section, built once at start-up from the Settings."""
    secret = values.phone_hash_secret
    return ProfileRules(
        city_name=values.city_name,
        privacy_policy_url=values.privacy_policy_url,
        retention_days=values.outbox_retention_days,
        limits=Limits(name_max=values.name_max_length, address_max=values.address_max_length),
        phone_secret=secret.get_secret_value() if secret is not None else None,
        districts=values.district_rules(),
    )


def _routers() -> Sequence[Router]:
    # Two routers, busiest first; the linking and district questions are steps of onboarding
    # (the district also a settings form) and /forget is reached from the settings, so each
    # rides on the router of its dialog.
    steps = onboarding.router()
    steps.include_router(linking.router())
    steps.include_router(district.router())
    form = settings.router()
    form.include_router(forget.router())
    return (steps, form)


def _fallbacks() -> Sequence[Router]:
    # The plain `/start`, after the features, so their deep links (`/start petition_12`) win.
    return (onboarding.start_router(),)


feature = Feature(
    name="profile",
    routers=_routers,
    fallback_routers=_fallbacks,
    menu=MenuEntry("settings", order=60),
    commands=(Command("start", order=10), Command("settings", order=40),
              Command("forget", order=80)),
    settings=profile_rules,
)
