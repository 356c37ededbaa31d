"""Who may change vote data: staff (any staff role), or the shell operator."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services import roles
from services.errors import PermissionDenied
from services.models import Role

# Importing and publishing votes is secretariat work any staff member may be given.
STAFF_ROLES = frozenset({Role.MODERATOR, Role.PRESS, Role.ADMIN})
SHELL_CHANNEL = "shell"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a messenger account (`telegram`, id), or `Actor.shell()` for the CLI."""

    channel: str
    external_id: str

    @classmethod
    def shell(cls, who: str = "cli") -> Actor:
        """The person at the server's shell, who holds the database anyway."""
        return cls(SHELL_CHANNEL, who)

    @property
    def key(self) -> str:
        return roles.actor_key(self.channel, self.external_id)


async def require_staff(session: AsyncSession, actor: Actor) -> None:
    """Raise PermissionDenied unless the actor holds a staff role (or is the shell)."""
    if actor.channel == SHELL_CHANNEL:
        return
    held = await roles.roles_of(session, actor.channel, actor.external_id)
    if not held & STAFF_ROLES:
        raise PermissionDenied("votes.error.not_staff")
