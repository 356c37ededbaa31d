"""The one rule of who sees what of an appeal (appeals are private correspondence)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from services.appeals.models import Appeal, AppealEvent, AppealStatus
from services.residents import redact_contacts, street_only
from services.timeutil import as_utc


class Audience(StrEnum):
    """Who looks at an appeal; `view_for` decides what each of them may see."""

    AUTHOR = "author"
    STAFF = "staff"
    SUPPORTER = "supporter"  # backs it instead of filing a duplicate
    CANDIDATE = "candidate"  # was offered it as a possible duplicate while filing


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    created_at: datetime
    status: str
    new_deadline: date | None
    department: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class AppealView:
    """What one viewer may see of an appeal; `None` (or empty) means not for this viewer."""

    id: int
    number: str
    category: str
    registered_at: datetime
    audience: Audience
    is_public: bool
    street: str  # the street of the place, never the building; "" when none was typed
    type: str | None = None
    status: str | None = None
    deadline: date | None = None
    place: str | None = None  # the place as typed, building included
    text: str | None = None
    answer: str | None = None
    history: tuple[HistoryEntry, ...] = ()


def view_for(appeal: Appeal, audience: Audience,
             events: Sequence[AppealEvent] = ()) -> AppealView:
    """What `audience` may see of `appeal` (and of its history `events`).

    The author and staff see everything. Any other resident sees at most the category, the
    street (no building) and the date of a suggested duplicate; as a supporter also the type,
    the status changes, deadlines and the outcome. The author's text, the answer and the
    reasons in the history reach them only if the author made the appeal public, and then
    without phones or e-mails.
    """
    base: dict[str, Any] = {
        "id": appeal.id, "number": appeal.number, "category": appeal.category,
        "registered_at": appeal.registered_at, "audience": audience,
        "is_public": appeal.is_public, "street": street_only(appeal.location_text),
    }
    if audience in (Audience.AUTHOR, Audience.STAFF):
        return AppealView(
            **base, type=appeal.type, status=appeal.status, deadline=appeal.deadline,
            place=appeal.location_text, text=appeal.text, answer=appeal.answer_text,
            history=tuple(_entry(e, e.reason) for e in events),
        )
    public = appeal.is_public
    if audience is Audience.CANDIDATE:
        return AppealView(**base, text=redact_contacts(appeal.text) if public else None)
    return AppealView(
        **base, type=appeal.type, status=appeal.status, deadline=appeal.deadline,
        text=redact_contacts(appeal.text) if public else None,
        answer=redact_contacts(appeal.answer_text) if public and appeal.answer_text else None,
        history=tuple(_entry(e, _reason_for_others(e, public)) for e in events),
    )


def _reason_for_others(event: AppealEvent, public: bool) -> str | None:
    if event.status == AppealStatus.MERGED:
        return event.reason  # the number of the appeal it was merged into, nothing personal
    return redact_contacts(event.reason) if public and event.reason else None


def _entry(event: AppealEvent, reason: str | None) -> HistoryEntry:
    return HistoryEntry(as_utc(event.created_at), event.status, event.new_deadline,
                        event.department, reason)
