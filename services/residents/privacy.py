"""What other residents may see of a resident's texts and address."""

from __future__ import annotations

import re

_PHONE_RE = re.compile(r"\+?\d[\d\s\-()]{6,}\d")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def redact_contacts(text: str) -> str:
    """Hide phone numbers and e-mail addresses before showing a text to other residents."""
    return _EMAIL_RE.sub("…", _PHONE_RE.sub("…", text))


# A number right after one of these is part of the street's name ("вул. 8 Березня").
_STREET_TYPES = frozenset({
    "вул", "вулиця", "вулиці", "просп", "проспект", "пр", "пров", "провулок", "бульв", "бульвар",
    "б-р", "пл", "площа", "майдан", "узвіз", "шосе", "набережна", "street", "st", "avenue",
    "ave", "road", "rd", "lane", "square", "sq", "blvd",
})
# Words that announce a building or flat; dropped when the street ends with them.
_BUILDING_WORDS = frozenset({
    "буд", "будинок", "будинку", "б", "д", "дім", "кв", "квартира", "корп", "корпус", "№", "#",
    "house", "bldg", "building", "apt", "flat", "no",
})
STREET_MAX = 60


def _bare(token: str) -> str:
    return token.strip(".,:;()").lower()


def street_only(address: str | None) -> str:
    """The street of a typed address, never its building or flat ("" if there is no street).

    Only the part before the first comma is kept, cut at the first token with a digit unless
    it follows a street type; what other residents may see of where someone lives.
    """
    if not address:
        return ""
    kept: list[str] = []
    for token in redact_contacts(address).split(",")[0].split():
        if any(ch.isdigit() for ch in token) and not (kept and _bare(kept[-1]) in _STREET_TYPES):
            break
        kept.append(token)
    while kept and _bare(kept[-1]) in _BUILDING_WORDS:
        kept.pop()
    street = " ".join(kept).strip(" .,:;-")
    if not any(ch.isalpha() for ch in street):
        return ""
    return street if len(street) <= STREET_MAX else street[: STREET_MAX - 1].rstrip() + "…"
