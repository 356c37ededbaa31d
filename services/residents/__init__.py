"""Residents, the core every feature shares: who is behind an account (core, cache), the first
row on consent, reachability, and what others may see of a person (privacy).

The profile feature's domain (validation, phone verification, linking, /forget) lives in
services.profile; its names are re-exported here so `residents.forget(...)` and the other
older calls keep working.
"""

from services.profile import (
    Limits,
    PhoneHeld,
    forget,
    link_account,
    mask_name,
    mask_phone,
    normalize_phone,
    parse_quiet_hours,
    phone_hash,
    phone_hash_key,
    set_address,
    set_full_name,
    set_language,
    set_quiet_hours,
    take_phone,
    unlink_account,
    validate_building,
    validate_full_name,
    validate_street,
    verify_phone,
)
from services.residents.cache import ProfileCache
from services.residents.core import (
    by_identity,
    channel_count,
    first_name,
    get,
    give_consent,
    insert_one_per_person,
    note_channel,
    same_phone_profiles,
    set_reachable,
    with_identities,
)
from services.residents.privacy import STREET_MAX, redact_contacts, street_only

__all__ = [
    "STREET_MAX", "Limits", "PhoneHeld", "ProfileCache", "by_identity", "channel_count",
    "first_name", "forget", "get", "give_consent", "insert_one_per_person", "link_account",
    "mask_name", "mask_phone",
    "normalize_phone", "note_channel", "parse_quiet_hours", "phone_hash", "phone_hash_key",
    "redact_contacts", "same_phone_profiles", "set_address", "set_full_name", "set_language",
    "set_quiet_hours", "set_reachable", "street_only", "take_phone", "unlink_account",
    "validate_building", "validate_full_name", "validate_street", "verify_phone",
    "with_identities",
]
