"""What a resident or a moderator typed, checked: a clean value or `InvalidInput` with the reason.

Art. 5 (name, address, essence) and Art. 8 (anonymous appeals are not considered).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime

from services.appeals.models import AppealType, AttachmentKind
from services.appeals.rules import AppealRules
from services.errors import InvalidInput, PermissionDenied
from services.models import Resident


def clean(text: str) -> str:
    """Whitespace squeezed inside lines, blank lines dropped."""
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    return "\n".join(line for line in lines if line) if lines else ""


def require_author(resident: Resident | None) -> Resident:
    """Art. 8: an appeal without the author's name and address is not considered."""
    if resident is None or not resident.is_complete or resident.forgotten_at is not None:
        raise PermissionDenied("appeals.error.anonymous")
    return resident


def validate_type(raw: str) -> AppealType:
    try:
        return AppealType(raw)
    except ValueError:
        raise InvalidInput("appeals.error.bad_type") from None


def validate_category(rules: AppealRules, raw: str) -> str:
    if raw not in rules.categories:
        raise InvalidInput("appeals.error.bad_category")
    return raw


def validate_department(rules: AppealRules, raw: str) -> str:
    if raw not in rules.departments:
        raise InvalidInput("appeals.error.bad_department")
    return raw


def validate_text(rules: AppealRules, raw: str | None) -> str:
    if raw is None:
        raise InvalidInput("appeals.error.text_not_text")
    text = clean(raw)
    if len(text) < rules.text_min:
        raise InvalidInput("appeals.error.text_short", limit=rules.text_min)
    if len(text) > rules.text_max:
        raise InvalidInput("appeals.error.text_long", limit=rules.text_max, length=len(text))
    return text


def validate_reason(rules: AppealRules, raw: str | None) -> str:
    text = clean(raw or "")
    if len(text) < 3:
        raise InvalidInput("appeals.error.reason_empty")
    if len(text) > rules.reason_max:
        raise InvalidInput("appeals.error.reason_long", limit=rules.reason_max)
    return text


def validate_address(rules: AppealRules, raw: str | None) -> str:
    text = clean(raw or "")
    if len(text) < 3 or not any(ch.isalpha() for ch in text):
        raise InvalidInput("appeals.error.address_invalid")
    if len(text) > rules.address_max:
        raise InvalidInput("appeals.error.address_long", limit=rules.address_max)
    return text


def validate_location(latitude: float, longitude: float) -> tuple[float, float]:
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput("appeals.error.location_invalid")
    return latitude, longitude


def parse_date(raw: str | None) -> date:
    """A date a moderator typed: `DD.MM.YYYY` (as shown everywhere) or ISO `YYYY-MM-DD`."""
    value = (raw or "").strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        with contextlib.suppress(ValueError):
            return datetime.strptime(value, fmt).date()
    raise InvalidInput("appeals.admin.bad_date")


@dataclass(frozen=True, slots=True)
class FileInfo:
    file_id: str
    kind: AttachmentKind
    mime: str | None
    size: int | None


def validate_file(rules: AppealRules, info: FileInfo) -> FileInfo:
    """Photos are always fine; documents must be of a readable type; both within the size."""
    if info.size is not None and info.size > rules.max_file_bytes:
        raise InvalidInput(
            "appeals.error.file_too_big", limit_mb=rules.max_file_bytes // (1024 * 1024)
        )
    if info.kind is AttachmentKind.DOCUMENT and (info.mime or "") not in rules.allowed_mimes:
        raise InvalidInput("appeals.error.file_type")
    return info
