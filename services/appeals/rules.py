"""The appeals feature's settings section: limits, terms and lists, built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MIMES: tuple[str, ...] = (
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
    "text/plain",
)


@dataclass(frozen=True, slots=True)
class AppealRules:
    """The knobs of the feature, built from Settings by the feature declaration."""

    categories: tuple[str, ...] = (
        "roads", "utilities", "transport", "social", "safety", "ecology", "other"
    )
    departments: tuple[str, ...] = ("housing", "roads", "transport", "social", "general")
    text_min: int = 10
    text_max: int = 4000
    reason_max: int = 1000
    address_max: int = 200
    max_attachments: int = 3
    max_file_bytes: int = 10 * 1024 * 1024
    allowed_mimes: tuple[str, ...] = DEFAULT_MIMES
    answer_days: int = 30
    simple_days: int = 15
    max_days: int = 45
    return_days: int = 10
    followup_days: int = 28
    due_soon_days: int = 3
    # (south, west, north, east) in degrees, or None for no check.
    city_bbox: tuple[float, float, float, float] | None = None
    duplicate_radius_m: float = 300.0

    def in_city(self, latitude: float, longitude: float) -> bool:
        if self.city_bbox is None:
            return True
        south, west, north, east = self.city_bbox
        return south <= latitude <= north and west <= longitude <= east


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """`"south,west,north,east"` → a tuple; empty means no check."""
    if not raw or not raw.strip():
        return None
    parts = [float(p) for p in raw.split(",")]
    if len(parts) != 4:
        raise ValueError("city_bbox needs four numbers: south,west,north,east")
    south, west, north, east = parts
    return (min(south, north), min(west, east), max(south, north), max(west, east))
