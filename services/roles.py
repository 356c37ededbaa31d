"""Staff roles: who may moderate, broadcast or administer."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit
from services.db import insert_ignoring_conflicts, is_postgres
from services.errors import InvalidInput
from services.i18n import echo
from services.models import Channel, ChannelIdentity, Resident, Role, StaffRole, StaffRoleVersion

# What each role may also do: an admin can do everything, a moderator is not press.
IMPLIED: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(Role),
    Role.MODERATOR: frozenset({Role.MODERATOR}),
    Role.PRESS: frozenset({Role.PRESS}),
}


def actor_key(channel: str, external_id: object) -> str:
    return f"{channel}:{external_id}"


# A Viber id is base64-like text (letters, digits, + / =), unique per bot.
_VIBER_ID = re.compile(r"^[A-Za-z0-9+/=_-]{1,64}$")
_TELEGRAM_ID = re.compile(r"^-?\d{1,19}$")


async def accounts_named(session: AsyncSession, who: str) -> list[tuple[str, str]]:
    """The (channel, account id) pairs a staff command names: a Telegram id (`123456789`), a
    Viber account (`viber:<id>`), or a phone number (`+380…`: every messenger account of the
    resident who verified it). Raises InvalidInput for anything else or an unknown phone."""
    who = who.strip()
    if who.lower().startswith(Channel.VIBER.value + ":"):
        viber_id = who.split(":", 1)[1]
        if not _VIBER_ID.match(viber_id):
            raise InvalidInput("staff.usage")
        return [(Channel.VIBER.value, viber_id)]
    if _TELEGRAM_ID.match(who) and int(who) < 2**63:
        return [(Channel.TELEGRAM.value, who)]
    if not who.startswith("+"):
        raise InvalidInput("staff.usage")
    from services.profile.phones import normalize_phone

    phone = normalize_phone(who)
    rows = await session.execute(
        select(ChannelIdentity.channel, ChannelIdentity.external_id)
        .join(Resident, Resident.id == ChannelIdentity.resident_id)
        .where(Resident.phone == phone, Resident.phone_verified_at.is_not(None),
               Resident.forgotten_at.is_(None))
        .order_by(ChannelIdentity.channel, ChannelIdentity.id))
    found = [(channel, external_id) for channel, external_id in rows]
    if not found:
        raise InvalidInput("staff.no_such_phone", phone=echo(phone))
    return found


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise InvalidInput("staff.bad_role", role=echo(value)) from None


def expand(roles: Iterable[Role]) -> frozenset[Role]:
    result: set[Role] = set()
    for role in roles:
        result |= IMPLIED[role]
    return frozenset(result)


async def roles_of(
    session: AsyncSession, channel: str, external_id: str, bootstrap_admins: Iterable[str] = ()
) -> frozenset[Role]:
    """Effective roles of an account, including admins named in the configuration."""
    granted = {
        Role(r)
        for r in await session.scalars(
            select(StaffRole.role).where(
                StaffRole.channel == channel, StaffRole.external_id == external_id
            )
        )
    }
    if external_id in set(bootstrap_admins):
        granted.add(Role.ADMIN)
    return expand(granted)


async def grant(
    session: AsyncSession, actor: str, channel: str, external_id: str, role: Role
) -> bool:
    """Give a role; returns False when the account already had it."""
    stmt = (
        insert_ignoring_conflicts(session, StaffRole.__table__)
        .values(channel=channel, external_id=external_id, role=role.value, granted_by=actor)
        .returning(StaffRole.__table__.c.id)
    )
    added = (await session.execute(stmt)).first() is not None
    if added:
        await _bump_version(session)
        await audit.record(session, actor, "role.grant", "account", f"{channel}:{external_id}",
                           role=role.value)
    return added


async def revoke(
    session: AsyncSession, actor: str, channel: str, external_id: str, role: Role
) -> bool:
    result = await session.execute(
        delete(StaffRole)
        .where(
            StaffRole.channel == channel,
            StaffRole.external_id == external_id,
            StaffRole.role == role.value,
        )
        .returning(StaffRole.id)
    )
    removed = result.first() is not None
    if removed:
        await _bump_version(session)
        await audit.record(session, actor, "role.revoke", "account", f"{channel}:{external_id}",
                           role=role.value)
    return removed


@dataclass(frozen=True, slots=True)
class StaffMember:
    channel: str
    external_id: str
    roles: tuple[Role, ...]
    from_config: bool = False


async def list_staff(
    session: AsyncSession, channel: str | None, bootstrap_admins: Iterable[str] = ()
) -> list[StaffMember]:
    """Staff accounts on `channel` (every channel if None; bootstrap admins are Telegram's)."""
    query = select(StaffRole.channel, StaffRole.external_id, StaffRole.role)
    if channel is not None:
        query = query.where(StaffRole.channel == channel)
    rows = await session.execute(
        query.order_by(StaffRole.channel, StaffRole.external_id, StaffRole.role))
    by_account: dict[tuple[str, str], set[Role]] = {}
    for ch, external_id, role in rows:
        by_account.setdefault((ch, external_id), set()).add(Role(role))
    members = [
        StaffMember(ch, ext, tuple(sorted(roles))) for (ch, ext), roles in by_account.items()
    ]
    admins_on = channel or Channel.TELEGRAM.value
    for admin in bootstrap_admins:
        if (admins_on, admin) not in by_account:
            members.append(StaffMember(admins_on, admin, (Role.ADMIN,), from_config=True))
    return members


async def accounts_with_role(session: AsyncSession, channel: str, role: Role) -> list[str]:
    """External ids holding `role` directly or through admin (for staff notifications)."""
    wanted = [r.value for r in Role if role in IMPLIED[r]]
    rows = await session.scalars(
        select(StaffRole.external_id)
        .where(StaffRole.channel == channel, StaffRole.role.in_(wanted))
        .distinct()
    )
    return list(rows)


async def sync_bootstrap_admins(session: AsyncSession, channel: str, ids: Iterable[str]) -> None:
    """Make the admins named in the configuration real rows, so every query sees them."""
    added = False
    for external_id in ids:
        result = await session.execute(
            insert_ignoring_conflicts(session, StaffRole.__table__).values(
                channel=channel, external_id=str(external_id), role=Role.ADMIN.value,
                granted_by="config",
            ).returning(StaffRole.__table__.c.id)
        )
        added = added or result.first() is not None
    if added:
        await _bump_version(session)


_VERSION = cast(Table, StaffRoleVersion.__table__)
_READ_VERSION = select(_VERSION.c.version).where(_VERSION.c.id == 1)


async def _bump_version(session: AsyncSession) -> None:
    """Count a change of `staff_roles`, in the transaction that makes it (so both or neither)."""
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    await session.execute(
        insert(_VERSION).values(id=1, version=1).on_conflict_do_update(
            index_elements=[_VERSION.c.id], set_={"version": _VERSION.c.version + 1})
    )


async def roles_version(session: AsyncSession) -> int:
    """How many times staff roles changed (0 before the first change)."""
    return (await session.scalar(_READ_VERSION)) or 0


class _SqliteVersionReader:
    """Reads the version through its own sqlite3 connection (it only reads), on the loop's thread.

    A query through aiosqlite costs ~0.7 ms of CPU (thread hops, pool checkout, reset), more
    than many updates cost in all; this WAL read costs ~5 µs and never waits for a writer.
    """

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, timeout=0, isolation_level=None,
                                           check_same_thread=False)

    def read(self) -> int | None:
        """The version, or None when SQLite is busy for a moment (ask the session then)."""
        try:
            row = self._connection.execute(
                "SELECT version FROM staff_role_version WHERE id = 1").fetchone()
        except sqlite3.OperationalError:
            return None
        return int(row[0]) if row else 0


class RoleCache:
    """Staff roles of every account, reloaded when the database's role version moves on.

    Staff are a handful of accounts while every update asks "is this staff?": each update reads
    one counter (bumped by `grant`/`revoke` in their own transaction, in whichever process)
    instead of the roles, so a change counts everywhere from the next update on. `ttl` only
    bounds how long edits made to `staff_roles` by hand, past these functions, go unseen.
    """

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._loaded_at = float("-inf")
        self._version = -1
        self._roles: dict[tuple[str, str], frozenset[Role]] = {}
        self._sqlite: _SqliteVersionReader | None = None
        self._bind_checked = False

    async def _current_version(self, session: AsyncSession) -> int:
        if not self._bind_checked:
            self._bind_checked = True
            url = session.get_bind().engine.url
            if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
                self._sqlite = _SqliteVersionReader(str(url.database))
        if self._sqlite is not None:
            version = self._sqlite.read()
            if version is not None:
                return version
        return await roles_version(session)

    async def roles_of(self, session: AsyncSession, channel: str,
                       external_id: str) -> frozenset[Role]:
        version = await self._current_version(session)
        if version != self._version or time.monotonic() - self._loaded_at > self.ttl:
            # Read the version first: roles loaded after it are at least that new, so a change
            # committed in between only costs one more reload.
            rows = await session.execute(select(StaffRole.channel, StaffRole.external_id,
                                                StaffRole.role))
            grouped: dict[tuple[str, str], set[Role]] = {}
            for ch, ext, role in rows:
                grouped.setdefault((ch, ext), set()).add(Role(role))
            self._roles = {key: expand(value) for key, value in grouped.items()}
            self._version = version
            self._loaded_at = time.monotonic()
        return self._roles.get((channel, external_id), frozenset())
