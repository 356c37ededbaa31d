"""Signing: one signature per person (phone), withdrawing it, and the threshold crossed once.

The insert and the counter update share the caller's transaction; a unique pair and the
phone check make a second signature impossible, and only the one signature whose UPDATE
moves the petition to "awaiting answer" tells anyone the threshold was reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from services.db import attach_row, committed, loaded_columns, utcnow
from services.errors import Conflict
from services.models import Channel, Resident
from services.petitions import notifications
from services.petitions.listing import PetitionCard, card, card_of
from services.petitions.models import Petition, PetitionStatus, Signature
from services.petitions.rules import PetitionRules
from services.petitions.status import (
    OPEN_FOR_SIGNING,
    get,
    is_open,
    working_days_due,
)
from services.petitions.validation import require_complete
from services.residents import insert_one_per_person
from services.sqlite_inline import InlineWriter, inline_writer

__all__ = ["SignResult", "sign", "sign_and_commit", "sign_at_once", "withdraw"]


@dataclass(frozen=True, slots=True)
class SignResult:
    signed: bool  # False: this resident had already signed
    count: int
    threshold_reached: bool  # True only for the one signature that crossed the threshold
    card: PetitionCard  # the card as the signer sees it now, with this signature in it


_SIGNATURES = cast(Table, Signature.__table__)
_FIELDS = ("petition_id", "resident_id", "channel", "created_at")


_PETITIONS = cast(Table, Petition.__table__)
# The counter first: its row lock orders concurrent signers (and so the signatures' ids) on
# PostgreSQL, and its RETURNING is the card, so a new signature needs no read of its own.
# Core, as the card is attached from the row: the ORM's RETURNING UPDATE costs ~0.3 ms more.
_COUNT_SIGNATURE = (
    update(_PETITIONS)
    .where(
        _PETITIONS.c.id == bindparam("p_petition_id"),
        # Not IN (...): an IN list is expanded into the SQL at every execution (~15 us).
        or_(*(_PETITIONS.c.status == status for status in OPEN_FOR_SIGNING)),
        _PETITIONS.c.deadline > bindparam("p_now"),
    )
    .values(signature_count=_PETITIONS.c.signature_count + 1)
    .returning(*loaded_columns(Petition)[1],
               select(Resident.full_name).where(Resident.id == _PETITIONS.c.author_id)
               .scalar_subquery())
)
_UNCOUNT_SIGNATURE = (
    update(_PETITIONS)
    .where(_PETITIONS.c.id == bindparam("p_petition_id"))
    .values(signature_count=_PETITIONS.c.signature_count - 1)
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
    reported, never counted twice. If the petition closed in between, nothing is written.
    Two statements: the counter (which returns the card) and the insert; a repeat takes two
    more (the counter back, and the card)."""
    resident = require_complete(resident)
    now = now or utcnow()
    counted = (await session.execute(
        _COUNT_SIGNATURE, {"p_petition_id": petition_id, "p_now": now})).first()
    if counted is None:  # closed, or not there for this resident: the card tells which
        await card(session, petition_id, resident.id, now=now)  # NotFound when not there
        raise Conflict("petition.error.closed")
    *values, author_name = counted
    petition = attach_row(session, Petition, values)
    by_phone = resident.phone_hash is not None
    params: dict[str, Any] = {"p_petition_id": petition_id, "p_resident_id": resident.id,
                              "p_channel": Channel(channel).value, "p_created_at": now}
    if by_phone:
        params["p_phone"] = resident.phone_hash
    insert = insert_one_per_person(session, _SIGNATURES, _FIELDS, "petition_id", by_phone)
    if (await session.execute(insert, params)).first() is None:
        # Signed already (from this or another profile of the phone): the count goes back,
        # and the card says which (only this profile's own signature can be withdrawn).
        await session.execute(_UNCOUNT_SIGNATURE, {"p_petition_id": petition_id})
        seen = await card(session, petition_id, resident.id, now=now)
        return SignResult(False, seen.petition.signature_count, False, seen)
    reached = False
    count, threshold = petition.signature_count, petition.threshold
    if (petition.status == PetitionStatus.COLLECTING and threshold is not None
            and count >= threshold):
        reached = await _cross_threshold(session, rules, petition, now)
    return SignResult(True, count, reached,
                      card_of(petition, author_name, resident.id, signed=True, now=now))


def sign_at_once(session: AsyncSession, petition_id: int, resident: Resident | None, *,
                 channel: Channel, now: datetime | None = None) -> SignResult | None:
    """On a SQLite file, a new signature that does not cross the threshold, written and
    committed on the loop's thread before the caller queues for `write_turn` (which would take
    one of the pool's few connections first); None, with nothing written, for the rest."""
    resident = require_complete(resident)
    writer = inline_writer(session)
    if writer is None:
        return None
    return _sign_inline(session, writer, petition_id, resident, Channel(channel),
                        now or utcnow())


async def sign_and_commit(
    session: AsyncSession,
    rules: PetitionRules,
    petition_id: int,
    resident: Resident | None,
    *,
    channel: Channel,
) -> SignResult:
    """`sign`, committed. On a SQLite file a new signature that does not cross the threshold
    is written in one transaction on the loop's thread (services/sqlite_inline.py); anything
    else, or the write lock taken, goes through the session. A Conflict leaves nothing."""
    resident = require_complete(resident)
    now = utcnow()
    # Tried again in the turn: the write lock that kept `sign_at_once` out is most often free.
    signed = sign_at_once(session, petition_id, resident, channel=channel, now=now)
    if signed is not None:
        return signed
    return await committed(
        session, sign(session, rules, petition_id, resident, channel=channel, now=now), Conflict)


def _sign_inline(session: AsyncSession, writer: InlineWriter, petition_id: int,
                 resident: Resident, channel: Channel, now: datetime) -> SignResult | None:
    """The common case of `sign` in one inline transaction; None (nothing written) for the
    rest: a repeat, a closed petition, the threshold crossed, the lock taken."""
    connection = writer.begin()
    if connection is None:
        return None
    try:
        counted = connection.execute(
            _COUNT_SIGNATURE, {"p_petition_id": petition_id, "p_now": now}).first()
        if counted is None:
            return None
        *values, author_name = counted
        row = dict(zip(loaded_columns(Petition)[0], values, strict=True))
        threshold = row["threshold"]
        if (row["status"] == PetitionStatus.COLLECTING and threshold is not None
                and row["signature_count"] >= threshold):
            return None  # the threshold's notifications are written with the session
        by_phone = resident.phone_hash is not None
        params: dict[str, Any] = {"p_petition_id": petition_id, "p_resident_id": resident.id,
                                  "p_channel": channel.value, "p_created_at": now}
        if by_phone:
            params["p_phone"] = resident.phone_hash
        insert = insert_one_per_person(session, _SIGNATURES, _FIELDS, "petition_id", by_phone)
        if connection.execute(insert, params).first() is None:
            return None
        connection.commit()
    finally:
        connection.close()  # rolls back what was not committed
    petition = attach_row(session, Petition, values)
    return SignResult(True, petition.signature_count, False,
                      card_of(petition, author_name, resident.id, signed=True, now=now))


async def _cross_threshold(
    session: AsyncSession, rules: PetitionRules, petition: Petition, now: datetime
) -> bool:
    """Move to 'awaiting answer' once; only the winner of this UPDATE notifies anyone."""
    due = working_days_due(now, rules.answer_working_days)
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
                answer_due_at=due,
            )
            .returning(Petition.id, Petition.signature_count)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if won is None:
        return False
    for name, value in (("status", PetitionStatus.AWAITING_ANSWER), ("reached_at", now),
                        ("answer_due_at", due)):
        set_committed_value(petition, name, value)
    await notifications.threshold_reached(session, rules, petition, won[1], now)
    return True


_SIGNED_BY = (
    select(_SIGNATURES.c.id)
    .where(_SIGNATURES.c.petition_id == _PETITIONS.c.id,
           _SIGNATURES.c.resident_id == bindparam("p_resident_id"))
    .exists()
)
# The counter first, as in signing: both lock the petition's row before the signature's, so a
# signature and its withdrawal racing in two processes on PostgreSQL queue, never deadlock.
_UNCOUNT_WITHDRAWN = (
    update(_PETITIONS)
    .where(
        _PETITIONS.c.id == bindparam("p_petition_id"),
        _PETITIONS.c.status == PetitionStatus.COLLECTING,
        _PETITIONS.c.deadline > bindparam("p_now"),
        _SIGNED_BY,
    )
    .values(signature_count=_PETITIONS.c.signature_count - 1)
    .returning(_PETITIONS.c.signature_count)
)
_DELETE_SIGNATURE = (
    delete(_SIGNATURES)
    .where(_SIGNATURES.c.petition_id == bindparam("p_petition_id"),
           _SIGNATURES.c.resident_id == bindparam("p_resident_id"))
    .returning(_SIGNATURES.c.id)
)


async def withdraw(
    session: AsyncSession, petition_id: int, resident_id: int, *, now: datetime | None = None
) -> int:
    """Take a signature back while collection is open; returns the new count. On an error,
    roll back (a signature taken back meanwhile leaves the counter moved)."""
    now = now or utcnow()
    params = {"p_petition_id": petition_id, "p_resident_id": resident_id, "p_now": now}
    count = await session.scalar(_UNCOUNT_WITHDRAWN, params)
    if count is None:
        petition = await get(session, petition_id)
        if petition.status != PetitionStatus.COLLECTING or not is_open(petition, now):
            raise Conflict("petition.error.withdraw_closed")
        raise Conflict("petition.error.not_signed")
    if (await session.execute(_DELETE_SIGNATURE, params)).first() is None:
        raise Conflict("petition.error.not_signed")  # taken back by a tap just before
    return int(count)
