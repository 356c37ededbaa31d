"""A broadcast under way: refresh its figures, stop it; `/broadcasts`, the history."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.broadcasts import screens
from handlers.broadcasts.callbacks import ACTIONS, BroadcastAction, BroadcastCB, HistoryCB
from handlers.kit.show import show
from services import broadcasts
from services.i18n import Texts


async def refresh(query: CallbackQuery, callback_data: BroadcastCB, session: AsyncSession,
                  tr: Texts) -> None:
    broadcast = await broadcasts.get_broadcast(session, callback_data.id)
    figures = await broadcasts.progress(session, broadcast.id)
    await show(query, screens.progress_screen(tr, broadcast, figures, ACTIONS))


async def stop(query: CallbackQuery, callback_data: BroadcastCB, session: AsyncSession,
               tr: Texts, actor: str) -> None:
    figures = await broadcasts.cancel(session, callback_data.id, actor=actor)
    await show(query, screens.stopped_screen(tr, callback_data.id, figures, ACTIONS))


async def show_history(event: Message | CallbackQuery, session: AsyncSession, tr: Texts,
                       page: int) -> None:
    size = screens.PAGE_SIZE
    items, total = await broadcasts.history(session, offset=page * size, limit=size)
    with_figures = [(b, await broadcasts.progress(session, b.id)) for b in items]
    await show(event, screens.history_screen(tr, with_figures, total, page, ACTIONS))


async def history_command(message: Message, session: AsyncSession, tr: Texts) -> None:
    await show_history(message, session, tr, 0)


async def history_page(query: CallbackQuery, callback_data: HistoryCB, session: AsyncSession,
                       tr: Texts) -> None:
    await show_history(query, session, tr, callback_data.page)


def router() -> Router:
    progress = Router(name="broadcasts-progress")
    progress.callback_query.register(refresh,
                                     BroadcastCB.filter(F.action == BroadcastAction.REFRESH))
    progress.callback_query.register(stop, BroadcastCB.filter(F.action == BroadcastAction.CANCEL))
    progress.message.register(history_command, Command("broadcasts"))
    progress.callback_query.register(history_page, HistoryCB.filter())
    return progress
