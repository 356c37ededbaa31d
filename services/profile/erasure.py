"""The right to be forgotten: what /forget erases and the little that stays."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from services import keyboards, outbox
from services.db import utcnow
from services.models import ChannelIdentity, Resident
from services.profile.phones import phone_hash


async def forget(session: AsyncSession, resident: Resident, *, phone_secret: str | None) -> None:
    """Erase what identifies the person; the anonymous row keeps totals (signatures) right.

    What stays: the keyed phone hash (so the same number cannot sign twice after coming back)
    and the statuses of the bot's messages, stripped of chat, text and profile.
    """
    if resident.phone and resident.phone_hash is None:  # verified before hashes existed
        resident.phone_hash = await phone_hash(session, resident.phone, phone_secret)
    await outbox.erase_resident(session, resident.id)
    resident.full_name = None
    resident.street = None
    resident.building = None
    resident.phone = None
    resident.phone_verified_at = None
    resident.district = None
    resident.is_active = False
    resident.notifications_enabled = False
    resident.forgotten_at = utcnow()
    await keyboards.erase_resident(session, resident.id)  # their buttons named their things
    await session.execute(
        delete(ChannelIdentity).where(ChannelIdentity.resident_id == resident.id)
    )
    await session.flush()
