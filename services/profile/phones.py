"""Phone verification: the person's own shared contact, and the keyed hash of the number.

One phone number is one person, also after /forget: the hash (HMAC with PHONE_HASH_SECRET, or
a random key kept in the database) stays when everything else is erased.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import insert_ignoring_conflicts, utcnow
from services.errors import InvalidInput
from services.models import AppSecret, Resident

_PHONE_KEY_NAME = "phone_hash"


def normalize_phone(raw: str) -> str:
    digits = re.sub(r"\D", "", raw)
    if len(digits) < 10 or len(digits) > 15:
        raise InvalidInput("onboarding.phone_invalid")
    if len(digits) == 10 and digits.startswith("0"):  # a local Ukrainian number
        digits = "38" + digits
    return "+" + digits


async def phone_hash_key(session: AsyncSession, configured: str | None) -> bytes:
    """The HMAC key: PHONE_HASH_SECRET, else a random one made once and kept in the database.

    Two processes making it at once both read back the one row that won the insert.
    """
    if configured:
        return configured.encode()
    query = select(AppSecret.value).where(AppSecret.name == _PHONE_KEY_NAME)
    stored = await session.scalar(query)
    if stored is None:
        await session.execute(
            insert_ignoring_conflicts(session, AppSecret.__table__).values(
                name=_PHONE_KEY_NAME, value=secrets.token_hex(32), created_at=utcnow())
        )
        stored = await session.scalar(query)
        if stored is None:  # only under an isolation level that hides the winner's row
            raise RuntimeError("the phone-hash key could not be created")
    return stored.encode()


async def phone_hash(session: AsyncSession, phone: str, secret: str | None) -> str:
    """Hex HMAC-SHA256 of a normalized phone: the same number always gives the same hash."""
    key = await phone_hash_key(session, secret)
    return hmac.new(key, phone.encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    """+380671234567 → +38067•••••67: enough for the owner to recognise, little for others."""
    return phone[:6] + "•" * max(len(phone) - 8, 0) + phone[-2:]


def mask_name(full_name: str | None) -> str:
    """Коваленко Олена Петрівна → К••• О••• П•••."""
    return " ".join(word[0] + "•••" for word in (full_name or "").split()) or "—"


@dataclass(frozen=True, slots=True)
class PhoneHeld:
    """The shared phone already belongs to another profile: nothing changes until the person
    says whether that profile is theirs (`link_account`) or not (`take_phone`)."""

    holder_id: int
    phone: str
    masked_phone: str
    masked_name: str


async def verify_phone(
    session: AsyncSession,
    resident: Resident,
    *,
    phone: str,
    contact_owner_id: str | None,
    sender_id: str,
    phone_secret: str | None,
) -> Resident | PhoneHeld:
    """Accept the resident's own shared contact, or report the profile that already holds it.

    A contact whose owner is not the sender (a forwarded or typed one) proves nothing. Numbers
    are recycled by operators, so a phone held by another profile never joins it silently.
    """
    if contact_owner_id is None or contact_owner_id != sender_id:
        raise InvalidInput("onboarding.phone_foreign")
    normalized = normalize_phone(phone)
    holder = await session.scalar(select(Resident).where(Resident.phone == normalized))
    if holder is not None and holder.id != resident.id:
        return PhoneHeld(holder.id, normalized, mask_phone(normalized),
                         mask_name(holder.full_name))
    resident.phone = normalized
    resident.phone_verified_at = utcnow()
    resident.phone_hash = await phone_hash(session, normalized, phone_secret)
    await session.flush()
    return resident
