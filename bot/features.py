"""THE registry: every feature of the bot, one line each.

A feature is a services/ package, a handlers/ package declaring ``feature = Feature(...)``
(handlers/kit/feature.py), its locales/*/<feature>.po, and one line below. Everything else is
built from this list at start-up: the dispatcher's routers (in this order, busiest first; the
features' catch-alls last, in reverse order), the main menu, the command lists for residents
and each staff role, the settings sections handed to handlers and jobs, and the scheduler's
job registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers import (
    appeals,
    broadcasts,
    core,
    events,
    petitions,
    polls,
    profile,
    staff,
    votes,
)
from handlers.kit.feature import Feature, MenuEntry, Press
from services.jobs import JobRegistry
from services.sections import Sections

FEATURES: tuple[Feature, ...] = (
    core.feature,
    profile.feature,
    staff.feature,
    appeals.feature,
    petitions.feature,
    broadcasts.feature,
    events.feature,
    polls.feature,
    votes.feature,
)


def build_sections(settings: Any, features: Sequence[Feature] = FEATURES) -> Sections:
    """Every feature's settings section, built once from the Settings."""
    return Sections(section for feature in features for section in feature.sections(settings))


def menu_entries(features: Sequence[Feature] = FEATURES) -> list[MenuEntry]:
    return [feature.menu for feature in features if feature.menu is not None]


def job_registry(sections: Sections, features: Sequence[Feature] = FEATURES) -> JobRegistry:
    """The tasks and periodic jobs of every feature, with the sections they run under."""
    return JobRegistry((job for feature in features for job in feature.jobs), sections)


def presses(features: Sequence[Feature] = FEATURES) -> dict[str, Press]:
    """Every feature's notification-button actions by name (one feature per action)."""
    found: dict[str, Press] = {}
    for feature in features:
        for press in feature.presses:
            if press.action in found:
                raise ValueError(f"two features declare the press {press.action!r}")
            found[press.action] = press
    return found
