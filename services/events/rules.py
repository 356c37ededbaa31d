"""The events feature's settings section, built once at start-up and injected."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EventRules:
    reminder_hours: int = 24
    title_max: int = 200
    place_max: int = 200
    url_max: int = 500
