"""Moderators' reports: the register of a period as CSV (audited) and the statistics."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.appeals import screens_staff as screens
from handlers.kit.screen import Media, MediaKind, Screen
from handlers.kit.show import show
from services import appeals
from services.errors import InvalidInput
from services.i18n import Texts
from services.timeutil import format_date


async def export(message: Message, command: CommandObject, tr: Texts, session: AsyncSession,
                 actor: str) -> None:
    parts = (command.args or "").split()
    try:
        if len(parts) != 2:
            raise InvalidInput("appeals.admin.export_usage")
        date_from, date_to = appeals.parse_date(parts[0]), appeals.parse_date(parts[1])
        text = await appeals.export_csv(session, actor, date_from, date_to)
    except InvalidInput as err:
        await message.answer(tr(err.message_key, **err.params) + "\n"
                             + tr("appeals.admin.export_usage"))
        return
    await session.commit()  # the audit entry is kept even if sending the file fails
    rows = max(text.count("\n") - 1, 0)
    name = f"appeals_{date_from.isoformat()}_{date_to.isoformat()}.csv"
    await show(message, Screen(
        tr("appeals.admin.export_done", date_from=format_date(date_from),
           date_to=format_date(date_to), rows=rows),
        media=Media(MediaKind.DOCUMENT, data=text.encode("utf-8-sig"), filename=name)))


async def stats(message: Message, tr: Texts, session: AsyncSession) -> None:
    await show(message, screens.stats(tr, await appeals.stats(session)))


def router() -> Router:
    """`/appeals_export` and `/stats` (inside the moderators' router, behind its role check)."""
    r = Router(name="appeals_reports")
    r.message.register(export, Command("appeals_export"))
    r.message.register(stats, Command("stats"))
    return r
