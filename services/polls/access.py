"""Who may run polls: moderators (and admins, who hold every role)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services import roles
from services.errors import PermissionDenied
from services.models import Role


@dataclass(frozen=True, slots=True)
class Staff:
    """A staff account acting: its channel and id there (`telegram`, "12345")."""

    channel: str
    external_id: str

    @property
    def key(self) -> str:
        return roles.actor_key(self.channel, self.external_id)


async def require_moderator(session: AsyncSession, staff: Staff,
                            bootstrap_admins: tuple[str, ...] = ()) -> None:
    """Raise PermissionDenied unless the account holds the moderator role (or admin)."""
    held = await roles.roles_of(session, staff.channel, staff.external_id, bootstrap_admins)
    if Role.MODERATOR not in held:
        raise PermissionDenied("polls.error.not_staff")
