"""Writing the profile's details: name, address, language, quiet hours, where notifications go."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.errors import InvalidInput
from services.i18n import LANGUAGES
from services.models import Resident
from services.profile.rules import Limits
from services.profile.validation import validate_full_name


async def set_full_name(session: AsyncSession, resident: Resident, raw: str | None,
                        limits: Limits = Limits()) -> Resident:
    resident.full_name = validate_full_name(raw, limits)
    await session.flush()
    return resident


async def set_address(
    session: AsyncSession, resident: Resident, street: str, building: str | None
) -> Resident:
    resident.street = street
    resident.building = building
    await session.flush()
    return resident


async def set_language(session: AsyncSession, resident: Resident, language: str) -> Resident:
    if language not in LANGUAGES:
        raise InvalidInput("settings.language_unknown")
    resident.language = language
    await session.flush()
    return resident


async def set_quiet_hours(
    session: AsyncSession, resident: Resident, quiet: tuple[int | None, int | None]
) -> Resident:
    resident.quiet_from, resident.quiet_to = quiet
    await session.flush()
    return resident


async def set_notify_every_channel(session: AsyncSession, resident: Resident,
                                   every: bool) -> Resident:
    """Notifications on every messenger of the resident (True) or the one used last."""
    resident.notify_every_channel = every
    await session.flush()
    return resident
