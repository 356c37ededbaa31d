"""What a person types into their profile: full name, street, building, quiet hours.

Each parser returns the cleaned value or raises InvalidInput with the key of the reason.
"""

from __future__ import annotations

import re
import unicodedata

from services.errors import InvalidInput
from services.profile.rules import Limits

# Letters of any script, apostrophes (Ukrainian uses ' and ʼ), hyphens, dots and spaces.
_NAME_RE = re.compile(r"^[^\W\d_]+(?:['ʼ’`\-. ][^\W\d_]+)*\.?$")
_BUILDING_RE = re.compile(r"^[0-9]{1,4}(?:[ /\-]?[0-9A-Za-zА-ЯҐЄІЇа-яґєії]{0,4})?$")
_QUIET_RE = re.compile(r"(\d{1,2})(?::00)?\s*[-–—]\s*(\d{1,2})(?::00)?")
_QUIET_OFF = frozenset({"-", "off", "0", "ні", "вимк", "none"})


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def validate_full_name(raw: str | None, limits: Limits = Limits()) -> str:
    if raw is None:
        raise InvalidInput("onboarding.name_not_text")
    name = _clean(raw)
    if not name:
        raise InvalidInput("onboarding.name_empty")
    if len(name) > limits.name_max:
        raise InvalidInput("onboarding.name_too_long", limit=limits.name_max)
    if len(name.split(" ")) < 2 or not _NAME_RE.match(name):
        raise InvalidInput("onboarding.name_invalid")
    return name


def validate_street(raw: str | None, limits: Limits = Limits()) -> str:
    if raw is None:
        raise InvalidInput("onboarding.street_not_text")
    street = _clean(raw)
    if len(street) < 3:
        raise InvalidInput("onboarding.street_empty")
    if len(street) > limits.address_max:
        raise InvalidInput("onboarding.street_too_long", limit=limits.address_max)
    if not any(ch.isalpha() for ch in street):
        raise InvalidInput("onboarding.street_invalid")
    return street


def validate_building(raw: str | None) -> str:
    if raw is None:
        raise InvalidInput("onboarding.building_not_text")
    building = _clean(raw).replace(" ", "")
    if not building:
        raise InvalidInput("onboarding.building_empty")
    if not _BUILDING_RE.match(building):
        raise InvalidInput("onboarding.building_invalid")
    return building


def parse_quiet_hours(raw: str | None) -> tuple[int | None, int | None]:
    """`22-8` → (22, 8); `off`/`-` → no quiet hours."""
    if raw is None:
        raise InvalidInput("settings.quiet_invalid")
    text = raw.strip().lower()
    if text in _QUIET_OFF:
        return None, None
    match = _QUIET_RE.fullmatch(text)
    if not match:
        raise InvalidInput("settings.quiet_invalid")
    start, end = int(match.group(1)), int(match.group(2))
    if not (0 <= start <= 23 and 0 <= end <= 23) or start == end:
        raise InvalidInput("settings.quiet_invalid")
    return start, end
