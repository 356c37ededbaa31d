"""Signing: one signature per person (phone), withdrawing it, and the threshold crossed once.

The insert and the counter update share the caller's transaction; a unique pair and the
phone check make a second signature impossible, and only the one signature whose UPDATE
moves the petition to "awaiting answer" tells anyone the threshold was reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import insert_ignoring_conflicts, utcnow
from services.errors import Conflict, NotFound
from services.models import Channel, Resident
from services.petitions import notifications
from services.petitions.models import Petition, PetitionStatus, Signature
from services.petitions.rules import PetitionRules
from services.petitions.status import (
    OPEN_FOR_SIGNING,
    get,
    is_open,
    is_visible,
    working_days_due,
)
from services.petitions.validation import require_complete
from services.residents import same_phone_profiles

__all__ = ["SignResult", "sign", "withdraw"]


@dataclass(frozen=True, slots=True)
class SignResult:
    signed: bool  # False: this resident had already signed
    count: int
    threshold_reached: bool  # True only for the one signature that crossed the threshold


def _insert_signature(session: AsyncSession, petition_id: int, resident: Resident,
                      channel: Channel, now: datetime) -> Any:
    """INSERT of the signature, doing nothing if this person (phone) has signed already."""
    insert = insert_ignoring_conflicts(session, Signature.__table__)
    values = {"petition_id": petition_id, "resident_id": resident.id,
              "channel": channel.value, "created_at": now}
    if resident.phone_hash is None:
        return insert.values(**values)
    # One phone number, one signature: a profile erased with /forget (or one whose number
    # passed to this resident) that signed already counts as this person, in one statement.
    signed_by_same_phone = (
        select(Signature.id)
        .where(Signature.petition_id == petition_id,
               Signature.resident_id.in_(same_phone_profiles(resident)))
        .exists()
    )
    columns = Signature.__table__.c
    return insert.from_select(
        list(values),
        select(*(literal(value, columns[name].type) for name, value in values.items()))
        .where(~signed_by_same_phone),
    )


async def sign(
    session: AsyncSession,
    rules: PetitionRules,
    petition_id: int,
    resident: Resident | None,
    *,
    channel: Channel,
    now: datetime | None = None,
) -> SignResult:
    """Add the resident's one signature, recording the `channel` it came through; a repeat is
    reported, never counted twice. If the petition closed in between, the error makes the
    caller roll back the insert and the counter together."""
    resident = require_complete(resident)
    now = now or utcnow()
    petition = await get(session, petition_id)
    if not is_visible(petition, resident.id, False):
        raise NotFound("petition.error.not_found")
    if not is_open(petition, now):
        raise Conflict("petition.error.closed")
    insert = _insert_signature(session, petition_id, resident, Channel(channel), now)
    inserted = (
        await session.execute(insert.returning(Signature.__table__.c.id))
    ).first()
    if inserted is None:
        count = await session.scalar(
            select(Petition.signature_count).where(Petition.id == petition_id)
        )
        return SignResult(False, int(count or 0), False)
    row = (
        await session.execute(
            update(Petition)
            .where(
                Petition.id == petition_id,
                Petition.status.in_(OPEN_FOR_SIGNING),
                Petition.deadline > now,
            )
            .values(signature_count=Petition.signature_count + 1)
            .returning(Petition.signature_count, Petition.status, Petition.threshold)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if row is None:
        raise Conflict("petition.error.closed")
    count, status, threshold = row
    reached = False
    if status == PetitionStatus.COLLECTING and threshold is not None and count >= threshold:
        reached = await _cross_threshold(session, rules, petition, now)
    return SignResult(True, count, reached)


async def _cross_threshold(
    session: AsyncSession, rules: PetitionRules, petition: Petition, now: datetime
) -> bool:
    """Move to 'awaiting answer' once; only the winner of this UPDATE notifies anyone."""
    won = (
        await session.execute(
            update(Petition)
            .where(
                Petition.id == petition.id,
                Petition.status == PetitionStatus.COLLECTING,
                Petition.signature_count >= Petition.threshold,
            )
            .values(
                status=PetitionStatus.AWAITING_ANSWER,
                reached_at=now,
                answer_due_at=working_days_due(now, rules.answer_working_days),
            )
            .returning(Petition.id, Petition.signature_count)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if won is None:
        return False
    await notifications.threshold_reached(session, rules, petition, won[1], now)
    return True


async def withdraw(
    session: AsyncSession, petition_id: int, resident_id: int, *, now: datetime | None = None
) -> int:
    """Take a signature back while collection is open; returns the new count."""
    now = now or utcnow()
    petition = await get(session, petition_id)
    if petition.status != PetitionStatus.COLLECTING or not is_open(petition, now):
        raise Conflict("petition.error.withdraw_closed")
    removed = (
        await session.execute(
            delete(Signature)
            .where(Signature.petition_id == petition_id, Signature.resident_id == resident_id)
            .returning(Signature.id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if removed is None:
        raise Conflict("petition.error.not_signed")
    count = await session.scalar(
        update(Petition)
        .where(Petition.id == petition_id, Petition.status == PetitionStatus.COLLECTING)
        .values(signature_count=Petition.signature_count - 1)
        .returning(Petition.signature_count)
        .execution_options(synchronize_session=False)
    )
    if count is None:
        raise Conflict("petition.error.withdraw_closed")
    return int(count)
