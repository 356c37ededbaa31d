"""Whether a resident may answer a poll now, and if not, why: what the card offers them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from services.districts.residents import needs_asking
from services.districts.rules import DistrictRules
from services.errors import Conflict, DomainError, PermissionDenied
from services.models import Resident
from services.polls.models import Poll
from services.polls.results import is_closed
from services.timeutil import as_utc

__all__ = ["Access", "access_for", "refusal"]


class Access(StrEnum):
    """What the poll card offers this resident."""

    CAN_ANSWER = "can_answer"  # (or change their answer)
    NOT_OPEN_YET = "not_open_yet"
    CLOSED = "closed"
    NOT_VERIFIED = "not_verified"  # onboarding first, then back to the poll
    ASK_DISTRICT = "ask_district"  # restricted poll, district never asked: ask once, politely
    DISTRICT_UNKNOWN = "district_unknown"  # asked before, "don't know": set it in /settings
    NOT_YOUR_DISTRICT = "not_your_district"


def access_for(poll: Poll, resident: Resident | None, district_rules: DistrictRules,
               now: datetime) -> Access:
    if is_closed(poll, now):
        return Access.CLOSED
    if as_utc(poll.opens_at) > now:
        return Access.NOT_OPEN_YET
    if resident is None or not resident.is_verified or resident.forgotten_at is not None:
        return Access.NOT_VERIFIED
    if poll.districts:
        if resident.district is None:
            return (Access.ASK_DISTRICT if needs_asking(district_rules, resident)
                    else Access.DISTRICT_UNKNOWN)
        if resident.district not in poll.districts:
            return Access.NOT_YOUR_DISTRICT
    return Access.CAN_ANSWER


_REFUSALS = {
    Access.CLOSED: Conflict("polls.error.closed"),
    Access.NOT_OPEN_YET: Conflict("polls.error.not_open_yet"),
    Access.NOT_VERIFIED: PermissionDenied("polls.error.not_verified"),
    Access.ASK_DISTRICT: PermissionDenied("polls.error.district_needed"),
    Access.DISTRICT_UNKNOWN: PermissionDenied("polls.error.district_needed"),
    Access.NOT_YOUR_DISTRICT: PermissionDenied("polls.error.not_your_district"),
}


def refusal(access: Access) -> DomainError:
    """Why a resident with this access may not answer (a fresh error to raise)."""
    reason = _REFUSALS[access]
    return type(reason)(reason.message_key, **reason.params)
