"""Admin commands: `/grant`, `/revoke`, `/staff` (anyone else gets the unknown-command answer)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.aiogram_filters import HasRole
from handlers.kit.show import show
from handlers.staff import screens
from services import roles as roles_service
from services.errors import InvalidInput
from services.i18n import Texts
from services.ids import parse_row_id
from services.models import Channel, Role

# Publishes a chat's command list for its roles (bot/ hands it in as `staff_commands`).
StaffCommands = Callable[[Bot, int, frozenset[Role]], Awaitable[None]]


def _parse(command: CommandObject) -> tuple[str, Role]:
    parts = (command.args or "").split()
    # A Telegram id is a 64-bit number; anything longer is not one (and int() would choke).
    if len(parts) != 2 or parse_row_id(parts[0].removeprefix("-")) is None:
        raise InvalidInput("staff.usage")
    return parts[0], roles_service.parse_role(parts[1])


async def _refresh_commands(bot: Bot, session: AsyncSession, external_id: str,
                            staff_commands: StaffCommands) -> None:
    current = await roles_service.roles_of(session, Channel.TELEGRAM, external_id)
    await session.commit()
    await staff_commands(bot, int(external_id), current)


async def grant(message: Message, command: CommandObject, session: AsyncSession, tr: Texts,
                actor: str, bot: Bot, staff_commands: StaffCommands) -> None:
    external_id, role = _parse(command)
    added = await roles_service.grant(session, actor, Channel.TELEGRAM, external_id, role)
    await _refresh_commands(bot, session, external_id, staff_commands)
    await show(message, screens.granted(tr, external_id, role, added))


async def revoke(message: Message, command: CommandObject, session: AsyncSession, tr: Texts,
                 actor: str, bot: Bot, staff_commands: StaffCommands) -> None:
    external_id, role = _parse(command)
    removed = await roles_service.revoke(session, actor, Channel.TELEGRAM, external_id, role)
    await _refresh_commands(bot, session, external_id, staff_commands)
    await show(message, screens.revoked(tr, external_id, role, removed))


async def staff_list(message: Message, session: AsyncSession, tr: Texts) -> None:
    members = await roles_service.list_staff(session, Channel.TELEGRAM)
    await show(message, screens.staff_list(tr, members))


def router() -> Router:
    staff = Router(name="staff")
    staff.message.filter(HasRole(Role.ADMIN))
    staff.message.register(grant, Command("grant"))
    staff.message.register(revoke, Command("revoke"))
    staff.message.register(staff_list, Command("staff"))
    return staff
