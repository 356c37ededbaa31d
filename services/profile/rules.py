"""The profile feature's settings section, built once at start-up from the Settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.districts.rules import DistrictRules


@dataclass(frozen=True, slots=True)
class Limits:
    """How long a typed name and street may be."""

    name_max: int = 120
    address_max: int = 200


@dataclass(frozen=True, slots=True)
class ProfileRules:
    """What the consent says, how long names may be, the key of the phone hashes, and the
    council's districts (onboarding's optional last step when there are any).

    Built once from the Settings by the feature declaration (handlers/profile) and handed to
    handlers as `profile_rules`.
    """

    city_name: str = "Hromada"
    privacy_policy_url: str = "https://example.org/privacy"
    retention_days: int = 30
    limits: Limits = field(default_factory=Limits)
    phone_secret: str | None = field(default=None, repr=False)
    districts: DistrictRules = field(default_factory=DistrictRules)
