"""What a press officer types for a broadcast: the announcement and the district."""

from __future__ import annotations

from collections.abc import Sequence

from services.broadcasts.rules import BroadcastRules
from services.errors import InvalidInput

PHOTO_CAPTION_MAX = 1024  # Telegram's caption limit: a longer text cannot ride with a photo
DISTRICT_MAX = 64


def validate_text(raw: str | None, *, has_photo: bool, rules: BroadcastRules = BroadcastRules()
                  ) -> str:
    if raw is None:
        raise InvalidInput("broadcasts.text_not_text")
    text = raw.strip()
    if not text:
        raise InvalidInput("broadcasts.text_empty")
    limit = min(rules.text_max, PHOTO_CAPTION_MAX) if has_photo else rules.text_max
    if len(text) > limit:
        raise InvalidInput("broadcasts.text_too_long", limit=limit, length=len(text))
    return text


def validate_district(raw: str | None, known: Sequence[str] = ()) -> str | None:
    """The district typed for a broadcast; with the council's districts configured, one of
    them in its configured spelling (residents' districts are stored so)."""
    if raw is None:
        raise InvalidInput("broadcasts.district_invalid")
    district = " ".join(raw.split())
    if district in {"", "-"}:
        return None
    if len(district) > DISTRICT_MAX:
        raise InvalidInput("broadcasts.district_invalid")
    if known:
        folded = district.casefold()
        match = next((name for name in known if name.casefold() == folded), None)
        if match is None:
            raise InvalidInput("broadcasts.district_unknown", districts=", ".join(known))
        return match
    return district
