"""Admin commands: `/grant`, `/revoke`, `/staff` (anyone else gets the unknown-command answer).

Who a command names: a Telegram id, `viber:<id>`, or a resident's verified phone number
(`+380…`: all their messenger accounts), so staff on Viber are named as easily as on Telegram.
"""

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
from services.models import Channel, Role

# Publishes a chat's command list for its roles (bot/ hands it in as `staff_commands`).
StaffCommands = Callable[[Bot, int, frozenset[Role]], Awaitable[None]]


def _parse(command: CommandObject) -> tuple[str, Role]:
    """(whom, role); a phone may be typed with spaces: `/grant +380 50 123 45 67 press`."""
    parts = (command.args or "").split()
    if len(parts) < 2 or (len(parts) > 2 and not parts[0].startswith("+")):
        raise InvalidInput("staff.usage")
    return "".join(parts[:-1]), roles_service.parse_role(parts[-1])


async def _refresh_commands(bot: Bot, session: AsyncSession, accounts: list[tuple[str, str]],
                            staff_commands: StaffCommands) -> None:
    """Telegram shows a command list per chat; Viber has none to refresh."""
    await session.commit()
    for channel, external_id in accounts:
        if channel == Channel.TELEGRAM.value:
            current = await roles_service.roles_of(session, channel, external_id)
            await staff_commands(bot, int(external_id), current)


async def grant(message: Message, command: CommandObject, session: AsyncSession, tr: Texts,
                actor: str, bot: Bot, staff_commands: StaffCommands) -> None:
    who, role = _parse(command)
    accounts = await roles_service.accounts_named(session, who)
    added = [await roles_service.grant(session, actor, channel, external_id, role)
             for channel, external_id in accounts]
    await _refresh_commands(bot, session, accounts, staff_commands)
    await show(message, screens.granted(tr, who, role, any(added)))


async def revoke(message: Message, command: CommandObject, session: AsyncSession, tr: Texts,
                 actor: str, bot: Bot, staff_commands: StaffCommands) -> None:
    who, role = _parse(command)
    accounts = await roles_service.accounts_named(session, who)
    removed = [await roles_service.revoke(session, actor, channel, external_id, role)
               for channel, external_id in accounts]
    await _refresh_commands(bot, session, accounts, staff_commands)
    await show(message, screens.revoked(tr, who, role, any(removed)))


async def staff_list(message: Message, session: AsyncSession, tr: Texts) -> None:
    members = await roles_service.list_staff(session, None)
    await show(message, screens.staff_list(tr, members))


def router() -> Router:
    staff = Router(name="staff")
    staff.message.filter(HasRole(Role.ADMIN))
    staff.message.register(grant, Command("grant"))
    staff.message.register(revoke, Command("revoke"))
    staff.message.register(staff_list, Command("staff"))
    return staff
