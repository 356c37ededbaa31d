"""aiogram filters shared by feature routers: the sender's role, a deep link's target."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.filters import CommandStart, Filter
from aiogram.types import Message, TelegramObject

from handlers.kit.ids import parse_start_payload
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


class DeepLink(Filter):
    """`/start <kind>_<id>` from a shared link; hands the handler `link_id`.

    `link_id` is None when the link names a row that cannot exist (garbled, or past the
    database's range): the handler answers "not found" as for a deleted one.
    """

    _start = CommandStart(deep_link=True)

    def __init__(self, kind: str) -> None:
        self.kind = kind

    async def __call__(self, message: Message, bot: Bot) -> bool | dict[str, Any]:
        matched = await self._start(message, bot)
        if not isinstance(matched, dict):
            return False
        payload = parse_start_payload(matched["command"].args)
        if payload is None or payload.kind != self.kind:
            return False
        return {"command": matched["command"], "link_id": payload.id}
