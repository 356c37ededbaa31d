"""Filters shared by feature routers."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from services.models import Role


class HasRole(Filter):
    """Passes when the account holds `role` (admins hold every role).

    A non-staff user falls through to the fallback handler and gets the same answer as for
    an unknown command, so staff commands are not advertised to residents.
    """

    def __init__(self, role: Role) -> None:
        self.role = role

    async def __call__(self, event: TelegramObject, roles: frozenset[Role] = frozenset(),
                       **_: Any) -> bool:
        return self.role in roles
