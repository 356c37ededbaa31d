"""What a press officer types for an event: kind, title, start time, stream link, place."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from services.db import utcnow
from services.errors import InvalidInput
from services.events.models import EventKind
from services.events.rules import EventRules
from services.timeutil import parse_local_datetime, to_local


def parse_kind(raw: str) -> EventKind:
    try:
        return EventKind(raw)
    except ValueError:
        raise InvalidInput("events.kind_unknown") from None


def validate_title(raw: str | None, rules: EventRules = EventRules()) -> str:
    if raw is None:
        raise InvalidInput("events.title_not_text")
    title = " ".join(raw.split())
    if not title:
        raise InvalidInput("events.title_empty")
    if len(title) > rules.title_max:
        raise InvalidInput("events.title_too_long", limit=rules.title_max)
    return title


def validate_place(raw: str | None, rules: EventRules = EventRules()) -> str | None:
    if raw is None:
        raise InvalidInput("events.place_not_text")
    place = " ".join(raw.split())
    if place in {"", "-"}:
        return None
    if len(place) > rules.place_max:
        raise InvalidInput("events.place_too_long", limit=rules.place_max)
    return place


def validate_url(raw: str | None, rules: EventRules = EventRules()) -> str | None:
    """An http(s) link with a host, or `-` for none."""
    if raw is None:
        raise InvalidInput("events.url_invalid")
    url = raw.strip()
    if url == "-":
        return None
    parts = urlsplit(url)
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or "." not in parts.hostname
        or any(ch.isspace() for ch in url)
        or len(url) > rules.url_max
    ):
        raise InvalidInput("events.url_invalid")
    return url


def parse_starts_at(raw: str | None, now: datetime | None = None) -> datetime:
    """`25.12.2026 18:00` (council time; the year may be left out) → UTC; must be in the future."""
    now = now or utcnow()
    starts_at = parse_local_datetime(raw, now)
    if starts_at is None:
        raise InvalidInput("events.time_invalid")
    if starts_at <= now:
        raise InvalidInput("events.time_past")
    return starts_at


def example_time(now: datetime | None = None) -> str:
    """What to type for `parse_starts_at`, shown in the question: tomorrow at 18:00."""
    tomorrow = to_local(now or utcnow()) + timedelta(days=1)
    return tomorrow.strftime("%d.%m.%Y") + " 18:00"
