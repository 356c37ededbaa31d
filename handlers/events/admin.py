"""The press service on one event: its card, a new value for one field, cancelling it.

Press staff only (the feature's press router filters); every id in a button is looked up
again, so a forged or outdated one gets "not found".
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.events import screens
from handlers.events.callbacks import ACTIONS, EventAdminAction, EventAdminCB
from handlers.events.creating import EventForm, question
from handlers.kit.dialogs import dialog_kind, register_dialog
from handlers.kit.show import show
from services import drafts, events
from services.drafts import DraftKind
from services.errors import InvalidInput
from services.events import EventRules
from services.i18n import Texts

# The field being changed lives in the database draft of the edit, not in the FSM data.
register_dialog(DraftKind.EVENT_EDIT, EventForm.edit)
# A command typed mid-dialog (/menu, /help) is not an answer to the question.
NOT_A_COMMAND = ~F.text.startswith("/")


def _on(action: EventAdminAction) -> CallbackQueryFilter:
    return EventAdminCB.filter(F.action == action)


async def manage(query: CallbackQuery, callback_data: EventAdminCB, session: AsyncSession,
                 state: FSMContext, tr: Texts) -> None:
    await state.set_state(None)
    event = await events.get_event(session, callback_data.id)
    await show(query, screens.manage_screen(tr, event, ACTIONS))


async def edit(query: CallbackQuery, callback_data: EventAdminCB, session: AsyncSession,
               state: FSMContext, tr: Texts, actor: str, event_rules: EventRules) -> None:
    field = callback_data.field.value if callback_data.field else ""
    await events.start_edit(session, actor, callback_data.id, field)
    await session.commit()  # before talking to Telegram: never hold the write lock over HTTP
    await state.set_state(EventForm.edit)
    await show(query, screens.edit_screen(tr, question(tr, event_rules, field), ACTIONS))


async def edit_value(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                     actor: str, event_rules: EventRules) -> None:
    field = str((await events.get_edit(session, actor)).data.get("field"))
    try:
        event = await events.submit_edit(session, actor, message.text, event_rules)
    except InvalidInput as err:
        await session.rollback()  # the claimed draft is there again
        await show(message, screens.edit_screen(tr, question(tr, event_rules, field), ACTIONS,
                                                reason=tr(err.message_key, **err.params)))
        return
    await session.commit()
    await state.clear()
    await show(message, screens.updated_screen(tr, event, ACTIONS))


async def abort(query: CallbackQuery, state: FSMContext, tr: Texts, session: AsyncSession,
                actor: str) -> None:
    kind = dialog_kind(await state.get_state())
    if kind is not None and not kind.owned_by_resident:
        await drafts.discard(session, drafts.Owner.staff(actor), kind)
        await session.commit()
    await state.clear()
    await show(query, screens.aborted_screen(tr, ACTIONS))


async def cancel_ask(query: CallbackQuery, callback_data: EventAdminCB, session: AsyncSession,
                     tr: Texts) -> None:
    event = await events.get_event(session, callback_data.id)
    await show(query, screens.cancel_confirm_screen(tr, event, ACTIONS))


async def cancel(query: CallbackQuery, callback_data: EventAdminCB, session: AsyncSession,
                 tr: Texts, actor: str) -> None:
    await events.cancel_event(session, callback_data.id, actor=actor)
    await show(query, screens.cancelled_screen(tr, ACTIONS))


def router() -> Router:
    admin = Router(name="events-admin")
    admin.callback_query.register(manage, _on(EventAdminAction.MANAGE))
    admin.callback_query.register(edit, _on(EventAdminAction.EDIT))
    admin.message.register(edit_value, StateFilter(EventForm.edit), NOT_A_COMMAND)
    admin.callback_query.register(abort, _on(EventAdminAction.ABORT))
    admin.callback_query.register(cancel_ask, _on(EventAdminAction.CANCEL))
    admin.callback_query.register(cancel, _on(EventAdminAction.CANCEL_YES))
    return admin
