"""Drafts of every multi-step dialog, kept in one table so a restart loses nothing.

A draft belongs to a resident (appeals, petitions: any of the person's accounts continues it)
or to a staff account (events, broadcasts, polls, a moderator's action on an appeal), one per
owner and kind. Every change bumps its
`version`. Submitting claims the draft with a compare-and-set delete in the submitting
transaction: of two concurrent submissions exactly one gets the row, the other a polite
"already submitted", and a submission that fails later rolls the claim back with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import is_postgres, utcnow
from services.errors import Conflict, NotFound
from services.models import Draft

MISSING = "draft.missing"
ALREADY_SUBMITTED = "draft.already_submitted"
CHANGED = "draft.changed"


class DraftKind(StrEnum):
    APPEAL = "appeal"
    PETITION = "petition"
    EVENT = "event"
    EVENT_EDIT = "event_edit"
    BROADCAST = "broadcast"
    POLL = "poll"
    STAFF_APPEAL = "staff_appeal"  # a moderator's action on one appeal (extend, answer...)

    @property
    def owned_by_resident(self) -> bool:
        """Residents' dialogs follow the person across accounts; staff dialogs the account."""
        return self in (DraftKind.APPEAL, DraftKind.PETITION)


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose draft: a resident (by id) or a staff account (`telegram:<id>`)."""

    resident_id: int | None = None
    account: str | None = None

    @classmethod
    def resident(cls, resident_id: int) -> Owner:
        return cls(resident_id=resident_id)

    @classmethod
    def staff(cls, account: str) -> Owner:
        return cls(account=account)

    @classmethod
    def for_kind(cls, kind: DraftKind, resident_id: int | None, account: str | None
                 ) -> Owner | None:
        """The owner of `kind` drafts for this sender, or None (no resident profile yet)."""
        if kind.owned_by_resident:
            return cls.resident(resident_id) if resident_id is not None else None
        return cls.staff(account) if account is not None else None

    def matches(self) -> ColumnElement[bool]:
        if self.resident_id is not None:
            return Draft.resident_id == self.resident_id
        if self.account is not None:
            return Draft.account == self.account
        raise ValueError("a draft owner needs a resident or an account")


@dataclass(frozen=True, slots=True)
class Claimed:
    """What a submission works from: the draft as it was when claimed (the row is gone)."""

    step: str
    data: dict[str, Any]
    version: int


def _of(owner: Owner, kind: DraftKind) -> ColumnElement[bool]:
    return owner.matches() & (Draft.kind == kind.value)


async def get(session: AsyncSession, owner: Owner, kind: DraftKind) -> Draft | None:
    return await session.scalar(
        select(Draft).where(_of(owner, kind)).execution_options(populate_existing=True)
    )


async def require(session: AsyncSession, owner: Owner, kind: DraftKind,
                  missing: str = MISSING) -> Draft:
    draft = await get(session, owner, kind)
    if draft is None:
        raise NotFound(missing)
    return draft


async def start(session: AsyncSession, owner: Owner, kind: DraftKind, step: str,
                data: dict[str, Any] | None = None) -> Draft:
    """A fresh draft replacing any earlier one of this kind (in one upsert, so two accounts
    starting at once cannot collide); its version still grows, so old buttons go stale."""
    now = utcnow()
    values = {
        "resident_id": owner.resident_id,
        "account": owner.account,
        "kind": kind.value,
        "step": step,
        "data": data or {},
        "version": 1,
        "dialog_state": None,
        "dialog_account": None,
        "created_at": now,
        "updated_at": now,
    }
    target = ["resident_id", "kind"] if owner.resident_id is not None else ["account", "kind"]
    # Where accounts stand in the dialog is left alone: the handler starting over sets it.
    again = {"step": step, "data": data or {}, "version": Draft.version + 1,
             "created_at": now, "updated_at": now}
    stmt: Any
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(Draft).values(**values).on_conflict_do_update(
            index_elements=target, set_=again)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(Draft).values(**values).on_conflict_do_update(
            index_elements=target, set_=again)
    await session.execute(stmt)
    return await require(session, owner, kind)


async def _locked(session: AsyncSession, owner: Owner, kind: DraftKind, missing: str) -> Draft:
    """The draft with its row write-locked and its version bumped, read after the lock.

    Taking the lock before reading makes concurrent changes (an album's files arriving as
    parallel updates, two accounts of one person) apply one after the other, none lost.
    """
    bumped = await session.execute(
        sql_update(Draft)
        .where(_of(owner, kind))
        .values(version=Draft.version + 1, updated_at=utcnow())
        .returning(Draft.id)
        .execution_options(synchronize_session=False)
    )
    if bumped.first() is None:
        raise NotFound(missing)
    return await require(session, owner, kind, missing)


async def update(session: AsyncSession, owner: Owner, kind: DraftKind,
                 step: str | None = None, *, missing: str = MISSING, **values: Any) -> Draft:
    """Store what a step collected (`None` removes a key) and, given `step`, where it is."""

    def apply(data: dict[str, Any]) -> dict[str, Any]:
        for key, value in values.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        return data

    return await change(session, owner, kind, apply, step=step, missing=missing)


async def change(session: AsyncSession, owner: Owner, kind: DraftKind,
                 apply: Callable[[dict[str, Any]], dict[str, Any]], *,
                 step: str | None = None, missing: str = MISSING) -> Draft:
    """Read-modify-write of the draft's data under its row lock."""
    draft = await _locked(session, owner, kind, missing)
    draft.data = apply(dict(draft.data or {}))  # a new dict so the JSON column is marked dirty
    if step is not None:
        draft.step = step
    await session.flush()
    return draft


async def discard(session: AsyncSession, owner: Owner, kind: DraftKind) -> bool:
    deleted = await session.execute(
        delete(Draft).where(_of(owner, kind)).returning(Draft.id)
        .execution_options(synchronize_session="fetch")
    )
    return deleted.first() is not None


async def claim(session: AsyncSession, owner: Owner, kind: DraftKind,
                version: int | None = None) -> Claimed:
    """Take the draft for submission: delete it and get its content, or raise `Conflict`.

    The delete is the compare-and-set: a concurrent claim waits on the row and then finds it
    gone (`draft.already_submitted`). With `version` (from the button the person pressed), a
    draft changed since that screen was shown is not taken (`draft.changed`).
    """
    stmt = delete(Draft).where(_of(owner, kind))
    if version is not None:
        stmt = stmt.where(Draft.version == version)
    row = (
        await session.execute(
            stmt.returning(Draft.step, Draft.data, Draft.version)
            .execution_options(synchronize_session="fetch")
        )
    ).first()
    if row is None:
        if version is not None and await get(session, owner, kind) is not None:
            raise Conflict(CHANGED)
        raise Conflict(ALREADY_SUBMITTED)
    return Claimed(row.step, dict(row.data or {}), row.version)


# --- where each account's dialog stands (kept by bot/dialogs.py) ---------------------------


async def accounts_in_dialogs(session: AsyncSession) -> set[str]:
    """Accounts that were in the middle of a dialog (read once when a process starts)."""
    rows = await session.scalars(
        select(Draft.dialog_account).where(Draft.dialog_state.is_not(None)).distinct()
    )
    return {account for account in rows if account}


async def dialog_state_of(session: AsyncSession, account: str) -> str | None:
    """The FSM state of the dialog this account was last in, if it is still in progress."""
    return await session.scalar(
        select(Draft.dialog_state)
        .where(Draft.dialog_account == account, Draft.dialog_state.is_not(None))
        .order_by(Draft.updated_at.desc())
        .limit(1)
    )


async def set_dialog_state(session: AsyncSession, owner: Owner, kind: DraftKind,
                           account: str, state: str | None) -> None:
    """Record that `account` is at `state` of this draft's dialog (None: it left the dialog).

    Not a change of the draft: the version stays, so the buttons on screen stay valid.
    """
    stmt = sql_update(Draft).where(_of(owner, kind))
    if state is None:
        stmt = stmt.where(Draft.dialog_account == account)
    await session.execute(
        stmt.values(dialog_state=state, dialog_account=account if state else None)
        .execution_options(synchronize_session=False)
    )
