"""What onboarding still has to ask: the first missing piece of a profile, in order."""

from __future__ import annotations

from enum import StrEnum

from services.models import Resident


class ProfileStep(StrEnum):
    """The stored pieces of a profile, in the order onboarding asks for them."""

    CONSENT = "consent"
    PHONE = "phone"
    FULL_NAME = "full_name"
    STREET = "street"
    BUILDING = "building"


def next_missing(resident: Resident | None) -> ProfileStep | None:
    """The first piece still missing (None: the profile is complete)."""
    if resident is None or resident.consent_at is None:
        return ProfileStep.CONSENT
    if not resident.is_verified:
        return ProfileStep.PHONE
    if not resident.full_name:
        return ProfileStep.FULL_NAME
    if not resident.street:
        return ProfileStep.STREET
    if not resident.building:
        return ProfileStep.BUILDING
    return None
