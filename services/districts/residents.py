"""A resident's district: derived from the address, else chosen once (or "don't know").

Onboarding asks (one optional step) when the table does not cover the address; /settings
changes it; a resident who onboarded before districts existed is asked once, politely, the
next time they open a poll restricted to districts (`needs_asking`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import utcnow
from services.districts.rules import DistrictRules
from services.districts.streets import parse_building, street_key
from services.errors import InvalidInput
from services.models import Resident


def needs_asking(rules: DistrictRules, resident: Resident) -> bool:
    """The city has districts, this resident's is unknown, and nobody has asked them yet."""
    return rules.enabled and resident.district is None and resident.district_asked_at is None


async def set_district(session: AsyncSession, rules: DistrictRules, resident: Resident,
                       name: str | None, *, now: datetime | None = None) -> str | None:
    """The resident's answer: one of the names, or None for "don't know". Never asked again."""
    district = None
    if name is not None:
        district = rules.canonical(name)
        if district is None:
            raise InvalidInput("districts.error.unknown")
    resident.district = district
    resident.district_asked_at = now or utcnow()
    await session.flush()
    return district


async def district_of(session: AsyncSession, resident_id: int) -> str | None:
    return await session.scalar(select(Resident.district).where(Resident.id == resident_id))


def _same_address(street_a: str | None, building_a: str | None,
                  street_b: str | None, building_b: str | None) -> bool:
    return (street_key(street_a or "") == street_key(street_b or "")
            and parse_building(building_a) == parse_building(building_b))


async def address_changed(session: AsyncSession, rules: DistrictRules, resident: Resident,
                          previous_street: str | None, previous_building: str | None
                          ) -> str | None:
    """Call after the address was set: the district follows it when the table covers it.

    A new address the table does not cover makes the district unknown again, and the
    resident is asked anew (they have moved). Returns the district now on the profile.
    """
    if not rules.enabled:
        return resident.district
    derived = rules.derive(resident.street, resident.building)
    if derived is not None:
        resident.district = derived
    elif not _same_address(previous_street, previous_building,
                           resident.street, resident.building):
        resident.district = None
        resident.district_asked_at = None
    await session.flush()
    return resident.district


def in_districts(names: Collection[str], *, include_unknown: bool = False
                 ) -> ColumnElement[bool]:
    """A WHERE condition on `Resident`: lives in one of `names` (or, if asked, is unknown).

    For broadcast audiences and poll announcements; names are the configured spellings,
    stored as such, so the comparison is exact (and uses the index).
    """
    condition = Resident.district.in_(list(names))
    return or_(condition, Resident.district.is_(None)) if include_unknown else condition


async def residents_in(session: AsyncSession, names: Collection[str], *,
                       include_unknown: bool = False) -> list[int]:
    """Ids of the active residents of the given districts."""
    rows = await session.scalars(
        select(Resident.id).where(Resident.is_active.is_(True),
                                  in_districts(names, include_unknown=include_unknown))
        .order_by(Resident.id)
    )
    return list(rows)
