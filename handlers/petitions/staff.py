"""E-petitions for moderators on Telegram: the queue, approve / reject, typo fixes, the
council's answer, the signatures' CSV. Screens come from handlers/petitions/screens_staff.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.aiogram_filters import HasRole
from handlers.kit.show import show
from handlers.petitions import screens_staff as screens
from handlers.petitions.actions import StaffAction, StaffList
from handlers.petitions.callbacks import STAFF_ACTIONS as ACTIONS
from handlers.petitions.callbacks import PetAdmCB, PetStaffListCB
from services import petitions
from services.errors import Conflict, DomainError, InvalidInput
from services.i18n import Texts
from services.ids import parse_row_id
from services.models import Role
from services.petitions import ListKind, PetitionRules

NOT_COMMAND = ~F.text.startswith("/")
Event = Message | CallbackQuery


class PetitionModeration(StatesGroup):
    reject_comment = State()
    edit_title = State()
    edit_text = State()
    answer_text = State()


async def show_queue(event: Event, session: AsyncSession, tr: Texts, page: int = 0) -> None:
    items, result = await petitions.moderation_queue(session, page=page)
    await show(event, screens.queue_screen(tr, items, result, ACTIONS))


async def show_awaiting(event: Event, session: AsyncSession, tr: Texts, page: int = 0) -> None:
    result = await petitions.list_petitions(session, ListKind.CONSIDERED, page=page)
    await show(event, screens.awaiting_screen(tr, result, ACTIONS))


async def show_petition(event: Event, session: AsyncSession, tr: Texts,
                        petition_id: int) -> None:
    view = await petitions.card(session, petition_id, None, is_staff=True)
    await show(event, screens.petition_screen(tr, view, ACTIONS))


def _petition_id(command: CommandObject) -> int:
    petition_id = parse_row_id((command.args or "").strip().lstrip("№#"))
    if petition_id is None:
        raise InvalidInput("petition.admin.usage_id", command=command.command)
    return petition_id


async def _dialog_error(message: Message, state: FSMContext, tr: Texts,
                        err: DomainError) -> None:
    """Bad input: say why and wait for another try; a rule that says no ends the dialog."""
    if not isinstance(err, InvalidInput):
        await state.set_state(None)
    await message.answer(tr(err.message_key, **err.params))


async def _done(message: Message, state: FSMContext, session: AsyncSession, tr: Texts,
                key: str, petition_id: int) -> None:
    """A typed step succeeded: commit, leave the dialog, say so, show the petition."""
    await session.commit()
    await state.set_state(None)
    await message.answer(tr(key))
    await show_petition(message, session, tr, petition_id)


# ---- the lists ----------------------------------------------------------------------------


async def queue_command(message: Message, state: FSMContext, session: AsyncSession,
                        tr: Texts) -> None:
    await state.set_state(None)
    await show_queue(message, session, tr)


async def list_page(query: CallbackQuery, callback_data: PetStaffListCB, state: FSMContext,
                    session: AsyncSession, tr: Texts) -> None:
    if callback_data.which is StaffList.QUEUE:
        await state.set_state(None)
        await show_queue(query, session, tr, callback_data.page)
    else:
        await show_awaiting(query, session, tr, callback_data.page)


async def manage_command(message: Message, command: CommandObject, state: FSMContext,
                         session: AsyncSession, tr: Texts) -> None:
    await state.set_state(None)
    if not (command.args or "").strip():
        await show_awaiting(message, session, tr)
        return
    await show_petition(message, session, tr, _petition_id(command))


# ---- one petition -------------------------------------------------------------------------


async def view(query: CallbackQuery, callback_data: PetAdmCB, state: FSMContext,
               session: AsyncSession, tr: Texts) -> None:
    await state.set_state(None)
    await show_petition(query, session, tr, callback_data.id)


async def approve(query: CallbackQuery, callback_data: PetAdmCB, session: AsyncSession,
                  tr: Texts, petition_rules: PetitionRules, actor: str,
                  callback_answer: CallbackAnswer) -> None:
    petition = await petitions.approve(session, petition_rules, actor, callback_data.id)
    await session.commit()
    callback_answer.text = tr("petition.admin.approved", number=petition.number)
    await show_petition(query, session, tr, callback_data.id)


async def reject_reasons(query: CallbackQuery, callback_data: PetAdmCB, session: AsyncSession,
                         tr: Texts) -> None:
    petition = await petitions.get(session, callback_data.id)
    await show(query, screens.reasons_screen(tr, petition, ACTIONS))


async def reject_reason(query: CallbackQuery, callback_data: PetAdmCB, state: FSMContext,
                        session: AsyncSession, tr: Texts) -> None:
    reason = petitions.validate_reason(callback_data.value)
    await petitions.get(session, callback_data.id)  # a stale or forged id: not found at once
    await state.set_state(PetitionModeration.reject_comment)
    await state.update_data(petition_id=callback_data.id, petition_reason=reason.value)
    await show(query, screens.comment_screen(tr, callback_data.id, reason, ACTIONS))


async def reject_without_comment(query: CallbackQuery, callback_data: PetAdmCB,
                                 state: FSMContext, session: AsyncSession, tr: Texts,
                                 petition_rules: PetitionRules, actor: str,
                                 callback_answer: CallbackAnswer) -> None:
    await state.set_state(None)
    callback_answer.text = tr("petition.admin.rejected")
    await petitions.reject(session, petition_rules, actor, callback_data.id,
                           callback_data.value, None)
    await session.commit()
    await show_petition(query, session, tr, callback_data.id)


async def reject_with_comment(message: Message, state: FSMContext, session: AsyncSession,
                              tr: Texts, petition_rules: PetitionRules, actor: str) -> None:
    data = await state.get_data()
    petition_id = int(data["petition_id"])
    try:
        await petitions.reject(session, petition_rules, actor, petition_id,
                               data["petition_reason"], message.text)
    except DomainError as err:
        await _dialog_error(message, state, tr, err)
        return
    await _done(message, state, session, tr, "petition.admin.rejected", petition_id)


async def edit_ask(query: CallbackQuery, callback_data: PetAdmCB, state: FSMContext,
                   session: AsyncSession, tr: Texts) -> None:
    petition = await petitions.get(session, callback_data.id)
    title = callback_data.action is StaffAction.EDIT_TITLE
    await state.set_state(PetitionModeration.edit_title if title
                          else PetitionModeration.edit_text)
    await state.update_data(petition_id=petition.id)
    await show(query, screens.edit_screen(tr, petition, "title" if title else "text", ACTIONS))


async def edit_typed(message: Message, state: FSMContext, session: AsyncSession, tr: Texts,
                     petition_rules: PetitionRules, actor: str) -> None:
    data = await state.get_data()
    petition_id = int(data["petition_id"])
    title = await state.get_state() == PetitionModeration.edit_title.state
    if message.text is None:
        await message.answer(tr("petition.error.not_text"))
        return
    try:
        if title:
            await petitions.edit(session, petition_rules, actor, petition_id, title=message.text)
        else:
            await petitions.edit(session, petition_rules, actor, petition_id, text=message.text)
    except DomainError as err:
        await _dialog_error(message, state, tr, err)
        return
    await _done(message, state, session, tr, "petition.admin.edited", petition_id)


async def consider(query: CallbackQuery, callback_data: PetAdmCB, session: AsyncSession,
                   tr: Texts, actor: str, callback_answer: CallbackAnswer) -> None:
    await petitions.mark_under_consideration(session, actor, callback_data.id)
    await session.commit()
    callback_answer.text = tr("petition.admin.considered")
    await show_petition(query, session, tr, callback_data.id)


async def answer_kind(query: CallbackQuery, callback_data: PetAdmCB, session: AsyncSession,
                      tr: Texts) -> None:
    petition = await petitions.get(session, callback_data.id)
    if petition.status not in petitions.AWAITING:
        raise Conflict("petition.error.not_awaiting")
    await show(query, screens.answer_kinds_screen(tr, petition, ACTIONS))


async def answer_ask(query: CallbackQuery, callback_data: PetAdmCB, state: FSMContext,
                     session: AsyncSession, tr: Texts) -> None:
    kind = petitions.validate_answer_kind(callback_data.value)
    await petitions.get(session, callback_data.id)  # a stale or forged id: not found at once
    await state.set_state(PetitionModeration.answer_text)
    await state.update_data(petition_id=callback_data.id, petition_answer_kind=kind.value)
    await show(query, screens.answer_text_screen(tr, callback_data.id, kind, ACTIONS))


async def answer_typed(message: Message, state: FSMContext, session: AsyncSession, tr: Texts,
                       petition_rules: PetitionRules, actor: str) -> None:
    data = await state.get_data()
    petition_id = int(data["petition_id"])
    try:
        await petitions.publish_answer(session, petition_rules, actor, petition_id,
                                       data["petition_answer_kind"], message.text)
    except DomainError as err:
        await _dialog_error(message, state, tr, err)
        return
    await _done(message, state, session, tr, "petition.admin.answered", petition_id)


# ---- export -------------------------------------------------------------------------------


async def _send_export(message: Message, session: AsyncSession, tr: Texts, actor: str,
                       petition_id: int) -> None:
    petition = await petitions.get(session, petition_id)
    data = await petitions.export_signatures(session, actor, petition_id,
                                             screens.export_header(tr),
                                             forgotten=tr("petition.export.forgotten"))
    # The audit record must survive even if sending the file fails half-way.
    await session.commit()
    await show(message, screens.export_screen(tr, petition, data))


async def export_command(message: Message, command: CommandObject, session: AsyncSession,
                         tr: Texts, actor: str) -> None:
    await _send_export(message, session, tr, actor, _petition_id(command))


async def export_button(query: CallbackQuery, callback_data: PetAdmCB, session: AsyncSession,
                        tr: Texts, actor: str) -> None:
    if isinstance(query.message, Message):
        await _send_export(query.message, session, tr, actor, callback_data.id)


_ACTIONS: dict[StaffAction, Callable[..., Awaitable[None]]] = {
    StaffAction.VIEW: view,
    StaffAction.APPROVE: approve,
    StaffAction.REJECT: reject_reasons,
    StaffAction.REASON: reject_reason,
    StaffAction.REJECT_GO: reject_without_comment,
    StaffAction.EDIT_TITLE: edit_ask,
    StaffAction.EDIT_TEXT: edit_ask,
    StaffAction.CONSIDER: consider,
    StaffAction.ANSWER: answer_kind,
    StaffAction.KIND: answer_ask,
    StaffAction.EXPORT: export_button,
}


def router() -> Router:
    """Moderators only: anyone else's press falls through to "this button no longer works"."""
    r = Router(name="petitions_admin")
    r.message.filter(HasRole(Role.MODERATOR))
    r.callback_query.filter(HasRole(Role.MODERATOR))
    r.message.register(queue_command, Command("petitions_queue"))
    r.message.register(manage_command, Command("petition_manage"))
    r.message.register(export_command, Command("petition_export"))
    r.callback_query.register(list_page, PetStaffListCB.filter())
    for action, handler in _ACTIONS.items():
        r.callback_query.register(handler, PetAdmCB.filter(F.action == action))
    r.message.register(reject_with_comment, StateFilter(PetitionModeration.reject_comment),
                       F.text, NOT_COMMAND)
    r.message.register(edit_typed, StateFilter(PetitionModeration.edit_title,
                                               PetitionModeration.edit_text), NOT_COMMAND)
    r.message.register(answer_typed, StateFilter(PetitionModeration.answer_text), NOT_COMMAND)
    return r
