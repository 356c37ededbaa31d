"""The profile feature's domain: onboarding, the person's details, phone verification, linking
accounts that share a phone, and the right to be forgotten.

Modules: rules (the ProfileRules settings section), onboarding (what is still missing),
validation (what people type), details (writing the profile), phones (verification and the
keyed phone hash), linking (two accounts, one phone), erasure (/forget). The core lookups of
a resident (who is behind an account, consent, reachability) stay in services.residents.
"""

from services.profile.details import (
    set_address,
    set_full_name,
    set_language,
    set_notify_every_channel,
    set_quiet_hours,
)
from services.profile.erasure import forget
from services.profile.linking import link_account, take_phone, unlink_account
from services.profile.onboarding import ProfileStep, next_missing
from services.profile.phones import (
    PhoneHeld,
    mask_name,
    mask_phone,
    normalize_phone,
    phone_hash,
    phone_hash_key,
    verify_phone,
)
from services.profile.rules import Limits, ProfileRules
from services.profile.validation import (
    parse_quiet_hours,
    validate_building,
    validate_full_name,
    validate_street,
)

__all__ = [
    "Limits", "PhoneHeld", "ProfileRules", "ProfileStep", "forget", "link_account", "mask_name",
    "mask_phone", "next_missing", "normalize_phone", "parse_quiet_hours", "phone_hash",
    "phone_hash_key", "set_address", "set_full_name", "set_language", "set_notify_every_channel",
    "set_quiet_hours",
    "take_phone", "unlink_account", "validate_building", "validate_full_name",
    "validate_street", "verify_phone",
]
