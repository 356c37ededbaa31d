"""Staff roles: who may moderate, broadcast or administer."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit
from services.db import insert_ignoring_conflicts
from services.errors import InvalidInput
from services.i18n import echo
from services.models import Role, StaffRole

# What each role may also do: an admin can do everything, a moderator is not press.
IMPLIED: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(Role),
    Role.MODERATOR: frozenset({Role.MODERATOR}),
    Role.PRESS: frozenset({Role.PRESS}),
}


def actor_key(channel: str, external_id: object) -> str:
    return f"{channel}:{external_id}"


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
    _bump_generation()
    if added:
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
    _bump_generation()
    if removed:
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
    session: AsyncSession, channel: str, bootstrap_admins: Iterable[str] = ()
) -> list[StaffMember]:
    rows = await session.execute(
        select(StaffRole.external_id, StaffRole.role)
        .where(StaffRole.channel == channel)
        .order_by(StaffRole.external_id, StaffRole.role)
    )
    by_account: dict[str, set[Role]] = {}
    for external_id, role in rows:
        by_account.setdefault(external_id, set()).add(Role(role))
    members = [
        StaffMember(channel, ext, tuple(sorted(roles))) for ext, roles in by_account.items()
    ]
    for admin in bootstrap_admins:
        if admin not in by_account:
            members.append(StaffMember(channel, admin, (Role.ADMIN,), from_config=True))
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
    for external_id in ids:
        await session.execute(
            insert_ignoring_conflicts(session, StaffRole.__table__).values(
                channel=channel, external_id=str(external_id), role=Role.ADMIN.value,
                granted_by="config",
            )
        )


_generation = 0


def _bump_generation() -> None:
    """Changes made in this process invalidate every `RoleCache` in it at once."""
    global _generation
    _generation += 1


class RoleCache:
    """Staff roles of every account, reloaded at most every `ttl` seconds.

    Staff are a handful of accounts while every update asks "is this staff?", so one small
    query per interval replaces one per update. Grants and revokes made through `grant`/`revoke`
    in this process show at once; those made by another process within `ttl`.
    """

    def __init__(self, ttl: float = 10.0) -> None:
        self.ttl = ttl
        self._loaded_at = float("-inf")
        self._generation = -1
        self._roles: dict[tuple[str, str], frozenset[Role]] = {}

    async def roles_of(self, session: AsyncSession, channel: str,
                       external_id: str) -> frozenset[Role]:


        if self._generation != _generation or time.monotonic() - self._loaded_at > self.ttl:
            self._generation = _generation
            rows = await session.execute(select(StaffRole.channel, StaffRole.external_id,
                                                StaffRole.role))
            grouped: dict[tuple[str, str], set[Role]] = {}
            for ch, ext, role in rows:
                grouped.setdefault((ch, ext), set()).add(Role(role))
            self._roles = {key: expand(value) for key, value in grouped.items()}
            self._loaded_at = time.monotonic()
        return self._roles.get((channel, external_id), frozenset())

