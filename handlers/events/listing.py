"""`/events`: the upcoming events page by page, "remind me", and for press staff a way in to
each event (handlers/events/admin.py)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.events import screens
from handlers.events.callbacks import ACTIONS, EventAction, EventCB
from handlers.kit.show import show
from services import events
from services.i18n import Raw, Texts
from services.models import Resident, Role


async def show_events(event: Message | CallbackQuery, session: AsyncSession, tr: Texts,
                      page: int, roles: frozenset[Role]) -> None:
    size = screens.PAGE_SIZE
    items, total = await events.upcoming(session, offset=page * size, limit=size)
    await show(event, screens.events_screen(tr, items, total, page, press=Role.PRESS in roles,
                                            acts=ACTIONS))


async def events_command(message: Message, session: AsyncSession, tr: Texts,
                         roles: frozenset[Role]) -> None:
    await show_events(message, session, tr, 0, roles)


async def events_page(query: CallbackQuery, callback_data: EventCB, session: AsyncSession,
                      tr: Texts, roles: frozenset[Role]) -> None:
    await show_events(query, session, tr, callback_data.page, roles)


async def remind_me(query: CallbackQuery, callback_data: EventCB, session: AsyncSession,
                    tr: Texts, resident: Resident | None,
                    callback_answer: CallbackAnswer) -> None:
    if resident is None:
        await show(query, screens.need_consent_screen(tr, ACTIONS))
        return
    event = await events.get_event(session, callback_data.event_id)
    added = await events.remind_me(session, event.id, resident.id)
    callback_answer.text = (tr("events.remind_set", title=Raw(event.title)) if added
                            else tr("events.remind_already"))


def router() -> Router:
    listing = Router(name="subscriptions-events")
    listing.message.register(events_command, Command("events"))
    listing.callback_query.register(events_page, EventCB.filter(F.action == EventAction.LIST))
    listing.callback_query.register(remind_me, EventCB.filter(F.action == EventAction.REMIND))
    return listing
