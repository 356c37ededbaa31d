"""Every field a resident or a moderator types, checked once: cleaned value or InvalidInput."""

from __future__ import annotations

import unicodedata

from services.errors import InvalidInput, PermissionDenied
from services.models import Resident
from services.petitions.models import AnswerKind, RejectReason
from services.petitions.rules import PetitionRules

__all__ = [
    "clean_line",
    "clean_text",
    "require_complete",
    "search_text",
    "search_words",
    "validate_answer",
    "validate_answer_kind",
    "validate_category",
    "validate_comment",
    "validate_reason",
    "validate_text",
    "validate_title",
]

SEARCH_WORDS_MAX = 5


def clean_line(raw: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", raw or "").split())


def clean_text(raw: str | None) -> str:
    text = unicodedata.normalize("NFC", raw or "").replace("\r\n", "\n").strip()
    # Keep paragraphs, drop runs of blank lines.
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text


def _within_limits(value: str, field: str, minimum: int, maximum: int) -> str:
    """`value` if its length fits; otherwise the field's empty / short / long error."""
    if not value:
        raise InvalidInput(f"petition.error.{field}_empty")
    if len(value) < minimum:
        raise InvalidInput(f"petition.error.{field}_short", limit=minimum)
    if len(value) > maximum:
        raise InvalidInput(f"petition.error.{field}_long", limit=maximum, length=len(value))
    return value


def validate_title(raw: str | None, rules: PetitionRules) -> str:
    if raw is None:
        raise InvalidInput("petition.error.not_text")
    return _within_limits(clean_line(raw), "title", rules.title_min, rules.title_max)


def validate_text(raw: str | None, rules: PetitionRules) -> str:
    if raw is None:
        raise InvalidInput("petition.error.not_text")
    return _within_limits(clean_text(raw), "text", rules.text_min, rules.text_max)


def validate_category(raw: str | None, rules: PetitionRules) -> str | None:
    if raw is None or raw == "":
        return None
    if raw not in rules.categories:
        raise InvalidInput("petition.error.category")
    return raw


def validate_reason(raw: RejectReason | str) -> RejectReason:
    try:
        return RejectReason(raw)
    except ValueError:
        raise InvalidInput("petition.error.reason") from None


def validate_comment(raw: str | None, rules: PetitionRules) -> str | None:
    """A moderator's optional comment to a rejection; None when there is none."""
    comment = clean_text(raw) or None
    if comment and len(comment) > rules.comment_max:
        raise InvalidInput("petition.error.comment_long", limit=rules.comment_max)
    return comment


def validate_answer_kind(raw: AnswerKind | str) -> AnswerKind:
    try:
        return AnswerKind(raw)
    except ValueError:
        raise InvalidInput("petition.error.answer_kind") from None


def validate_answer(raw: str | None, rules: PetitionRules) -> str:
    """The council's answer as published: required, within `answer_max`."""
    if raw is None:
        raise InvalidInput("petition.error.not_text")
    answer = clean_text(raw)
    if not answer:
        raise InvalidInput("petition.error.answer_empty")
    if len(answer) > rules.answer_max:
        raise InvalidInput("petition.error.answer_long", limit=rules.answer_max,
                           length=len(answer))
    return answer


def search_text(title: str, text: str) -> str:
    """What word search looks in: casefolded, so Cyrillic matches on SQLite too."""
    return f"{title}\n{text}".casefold()


def search_words(query: str | None) -> list[str]:
    """Up to five meaningful words of a search query, casefolded."""
    words = [w for w in clean_line(query).casefold().split(" ") if len(w) >= 2]
    return words[:SEARCH_WORDS_MAX]


def require_complete(resident: Resident | None) -> Resident:
    """Only a verified resident with a complete profile files or signs."""
    if resident is None or not resident.is_complete or resident.forgotten_at is not None:
        raise PermissionDenied("petition.error.need_profile")
    return resident
