"""Moderators' side of appeals: queue, card, assign, statuses, extend, return, answer, merge,
the register's export and the statistics.

Everything here is behind `HasRole(Role.MODERATOR)`: to anyone else `/appeals` looks like an
unknown command. Every action is a service call; the service audits and notifies the author.
The dialogs (a date, a reason, an answer, a number) keep the appeal's id in the FSM data;
the register's export and the statistics are in reports.py.
"""

from __future__ import annotations

from datetime import date

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.appeals import reports
from handlers.appeals import screens_staff as screens
from handlers.appeals.actions import StaffAction
from handlers.appeals.callbacks import (
    STAFF,
    StaffAppealCB,
    StaffCardCB,
    StaffDeptCB,
    StaffListCB,
    StaffQueueCB,
)
from handlers.kit.aiogram_filters import HasRole
from handlers.kit.screen import Media, MediaKind, Screen
from handlers.kit.show import show
from services import appeals
from services.appeals import Appeal, AppealRules, AppealStatus, AttachmentKind
from services.errors import Conflict, InvalidInput, NotFound
from services.i18n import Texts
from services.models import Role
from services.timeutil import format_date, local_today

PER_PAGE = 5
NOT_COMMAND = ~F.text.startswith("/")
Event = Message | CallbackQuery


class StaffAppealForm(StatesGroup):
    extend_date = State()
    extend_reason = State()
    return_reason = State()
    answer_text = State()
    answer_file = State()
    merge_target = State()


def _on(action: StaffAction) -> CallbackQueryFilter:
    return StaffAppealCB.filter(F.action == action)


async def _appeal_of_dialog(state: FSMContext) -> int:
    return int((await state.get_data()).get("staff_appeal") or 0)


# --- the queue and the card ----------------------------------------------------------------


async def appeals_command(message: Message, state: FSMContext, tr: Texts,
                          session: AsyncSession) -> None:
    await state.set_state(None)
    await show(message, screens.queue(tr, STAFF, await appeals.queue_summary(session),
                                      local_today()))


async def queue_again(query: CallbackQuery, state: FSMContext, tr: Texts,
                      session: AsyncSession) -> None:
    await state.set_state(None)
    await show(query, screens.queue(tr, STAFF, await appeals.queue_summary(session),
                                    local_today()))


async def queue_page(query: CallbackQuery, callback_data: StaffListCB, state: FSMContext,
                     tr: Texts, session: AsyncSession) -> None:
    await state.set_state(None)
    page = await appeals.queue(session, callback_data.category or None, callback_data.page,
                               PER_PAGE)
    await show(query, screens.queue_page(tr, STAFF, page, callback_data.category, local_today()))


async def show_card(event: Event, tr: Texts, session: AsyncSession, appeal_id: int,
                    notice: str = "", category: str = "", page: int = 0) -> None:
    await session.commit()  # the action before it is done; do not hold locks over HTTP
    appeal = await appeals.get(session, appeal_id)
    await show(event, screens.card(
        tr, STAFF, appeal, await appeals.history(session, appeal.id),
        await appeals.supporters_count(session, appeal.id),
        await appeals.source_petition(session, appeal),
        notice=notice, category=category, page=page))


async def card(query: CallbackQuery, callback_data: StaffCardCB, state: FSMContext,
               tr: Texts, session: AsyncSession) -> None:
    await state.set_state(None)
    await show_card(query, tr, session, callback_data.appeal_id,
                    category=callback_data.category, page=callback_data.page)


async def choose_department(query: CallbackQuery, callback_data: StaffAppealCB, tr: Texts,
                            session: AsyncSession, appeal_rules: AppealRules) -> None:
    appeal = await appeals.get(session, callback_data.appeal_id)  # stale or forged: not found
    await show(query, screens.departments(tr, STAFF, appeal.id, appeal_rules.departments))


async def assign_department(query: CallbackQuery, callback_data: StaffDeptCB, tr: Texts,
                            session: AsyncSession, appeal_rules: AppealRules, actor: str) -> None:
    names = appeal_rules.departments
    index = callback_data.department
    appeal = await appeals.assign(session, appeal_rules, actor, callback_data.appeal_id,
                                  department=names[index] if index < len(names) else "")
    await show_card(query, tr, session, appeal.id, tr("appeals.admin.done"))


async def take(query: CallbackQuery, callback_data: StaffAppealCB, tr: Texts,
               session: AsyncSession, appeal_rules: AppealRules, actor: str) -> None:
    appeal = await appeals.assign(session, appeal_rules, actor, callback_data.appeal_id,
                                  assignee=actor)
    await show_card(query, tr, session, appeal.id, tr("appeals.admin.done"))


async def change_status(query: CallbackQuery, callback_data: StaffAppealCB, tr: Texts,
                        session: AsyncSession, actor: str) -> None:
    target = AppealStatus.IN_PROGRESS if callback_data.action is StaffAction.PROGRESS \
        else AppealStatus.CLOSED
    appeal = await appeals.set_status(session, actor, callback_data.appeal_id, target)
    await show_card(query, tr, session, appeal.id, tr("appeals.admin.done"))


async def toggle_simple(query: CallbackQuery, callback_data: StaffAppealCB, tr: Texts,
                        session: AsyncSession, appeal_rules: AppealRules, actor: str) -> None:
    current = await appeals.get(session, callback_data.appeal_id)
    appeal = await appeals.mark_simple(session, appeal_rules, actor, current.id,
                                       simple=not current.is_simple)
    await show_card(query, tr, session, appeal.id,
                    tr("appeals.admin.deadline_now", deadline=format_date(appeal.deadline)))


async def send_files(query: CallbackQuery, callback_data: StaffAppealCB,
                     session: AsyncSession) -> None:
    """The appeal's photos and documents (and its point) as messages of their own."""
    appeal = await appeals.get(session, callback_data.appeal_id)
    for item in appeal.attachments:
        kind = MediaKind.PHOTO if item.kind == AttachmentKind.PHOTO else MediaKind.DOCUMENT
        await show(query, Screen(appeal.number, media=Media(kind, file=item.file_id)))
    message = query.message
    if appeal.latitude is not None and appeal.longitude is not None \
            and isinstance(message, Message):
        await message.answer_location(appeal.latitude, appeal.longitude)


# --- the dialogs: extend (date, then reason), return, answer (text, then a file), merge ----


async def _ask(query: CallbackQuery, state: FSMContext, step: State, appeal: Appeal,
               screen: Screen) -> None:
    """Open a staff dialog step about `appeal`: remember it, ask, offer a way out."""
    await state.set_state(step)
    await state.update_data(staff_appeal=appeal.id)
    await show(query, screen)


def _require_move(appeal: Appeal, target: AppealStatus) -> None:
    if not appeals.can_move(appeal.status, target):
        raise InvalidInput("appeals.error.transition", number=appeal.number)


async def _again(message: Message, tr: Texts, appeal_id: int, err: InvalidInput | NotFound |
                 Conflict, then: str = "") -> None:
    """Why an answer was refused (and what to send instead), with the way out."""
    text = tr(err.message_key, **err.params) + ("\n" + tr(then) if then else "")
    await show(message, screens.prompt(tr, STAFF, appeal_id, text))


async def extend_start(query: CallbackQuery, callback_data: StaffAppealCB, state: FSMContext,
                       tr: Texts, session: AsyncSession, appeal_rules: AppealRules) -> None:
    appeal = await appeals.get(session, callback_data.appeal_id)
    appeals.check_extension(appeal, appeal_rules)
    await _ask(query, state, StaffAppealForm.extend_date, appeal, screens.ask_extend_date(
        tr, STAFF, appeal, appeals.latest_deadline(appeal, appeal_rules)))


async def _ask_extend_reason(event: Event, state: FSMContext, tr: Texts, appeal_id: int,
                             new_date: date) -> None:
    await state.set_state(StaffAppealForm.extend_reason)
    await state.update_data(staff_appeal=appeal_id, staff_date=new_date.isoformat())
    await show(event, screens.prompt(tr, STAFF, appeal_id, tr(
        "appeals.admin.ask_extend_reason", date=format_date(new_date))))


async def extend_to_max(query: CallbackQuery, callback_data: StaffAppealCB, state: FSMContext,
                        tr: Texts, session: AsyncSession, appeal_rules: AppealRules) -> None:
    appeal = await appeals.get(session, callback_data.appeal_id)
    latest = appeals.latest_deadline(appeal, appeal_rules)
    appeals.check_extension(appeal, appeal_rules, latest)
    await _ask_extend_reason(query, state, tr, appeal.id, latest)


async def extend_date(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                      appeal_rules: AppealRules) -> None:
    appeal_id = await _appeal_of_dialog(state)
    appeal = await appeals.get(session, appeal_id)
    try:
        new_date = appeals.parse_date(message.text)
        appeals.check_extension(appeal, appeal_rules, new_date)
        new_date = appeals.extension_deadline(new_date)
    except InvalidInput as err:
        await _again(message, tr, appeal_id, err, "appeals.admin.ask_extend_date_again")
        return
    await _ask_extend_reason(message, state, tr, appeal.id, new_date)


async def extend_reason(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                        appeal_rules: AppealRules, actor: str) -> None:
    data = await state.get_data()
    appeal_id = int(data.get("staff_appeal") or 0)
    try:
        appeal = await appeals.extend(session, appeal_rules, actor, appeal_id,
                                      new_deadline=date.fromisoformat(data["staff_date"]),
                                      reason=message.text or "")
    except InvalidInput as err:
        await _again(message, tr, appeal_id, err)
        return
    await state.set_state(None)
    await show_card(message, tr, session, appeal.id,
                    tr("appeals.admin.extended", deadline=format_date(appeal.deadline)))


async def return_start(query: CallbackQuery, callback_data: StaffAppealCB, state: FSMContext,
                       tr: Texts, session: AsyncSession, appeal_rules: AppealRules) -> None:
    appeal = await appeals.get(session, callback_data.appeal_id)
    appeals.check_returnable(appeal, appeal_rules)
    await _ask(query, state, StaffAppealForm.return_reason, appeal, screens.prompt(
        tr, STAFF, appeal.id, tr("appeals.admin.ask_return_reason", number=appeal.number)))


async def return_reason(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                        appeal_rules: AppealRules, actor: str) -> None:
    appeal_id = await _appeal_of_dialog(state)
    try:
        appeal = await appeals.return_appeal(session, appeal_rules, actor, appeal_id,
                                             message.text or "")
    except InvalidInput as err:
        await _again(message, tr, appeal_id, err)
        return
    await state.set_state(None)
    await show_card(message, tr, session, appeal.id, tr("appeals.admin.done"))


async def answer_start(query: CallbackQuery, callback_data: StaffAppealCB, state: FSMContext,
                       tr: Texts, session: AsyncSession) -> None:
    appeal = await appeals.get(session, callback_data.appeal_id)
    _require_move(appeal, AppealStatus.ANSWERED)
    await _ask(query, state, StaffAppealForm.answer_text, appeal, screens.prompt(
        tr, STAFF, appeal.id, tr("appeals.admin.ask_answer", number=appeal.number)))


async def answer_text(message: Message, state: FSMContext, tr: Texts,
                      appeal_rules: AppealRules) -> None:
    appeal_id = await _appeal_of_dialog(state)
    try:
        text = appeals.validate_text(appeal_rules, message.text)
    except InvalidInput as err:
        await _again(message, tr, appeal_id, err)
        return
    await state.set_state(StaffAppealForm.answer_file)
    await state.update_data(staff_answer=text)
    await show(message, screens.ask_answer_file(tr, STAFF, appeal_id))


async def _send_answer(event: Event, state: FSMContext, tr: Texts, session: AsyncSession,
                       appeal_rules: AppealRules, actor: str, file_id: str | None = None,
                       kind: AttachmentKind | None = None) -> None:
    data = await state.get_data()
    text = data.get("staff_answer")
    if not text:
        await state.set_state(None)
        raise InvalidInput("appeals.error.no_draft")
    appeal = await appeals.answer(session, appeal_rules, actor, int(data.get("staff_appeal") or 0),
                                  text, file_id=file_id, file_kind=kind)
    await state.set_state(None)
    await state.update_data(staff_answer=None)
    await show_card(event, tr, session, appeal.id, tr("appeals.admin.answered"))


async def answer_without_file(query: CallbackQuery, state: FSMContext, tr: Texts,
                              session: AsyncSession, appeal_rules: AppealRules, actor: str) -> None:
    await _send_answer(query, state, tr, session, appeal_rules, actor)


async def answer_with_file(message: Message, state: FSMContext, tr: Texts,
                           session: AsyncSession, appeal_rules: AppealRules, actor: str) -> None:
    if message.photo:
        info = appeals.FileInfo(message.photo[-1].file_id, AttachmentKind.PHOTO, "image/jpeg",
                                message.photo[-1].file_size)
    else:
        assert message.document is not None
        info = appeals.FileInfo(message.document.file_id, AttachmentKind.DOCUMENT,
                                message.document.mime_type, message.document.file_size)
    try:
        appeals.validate_file(appeal_rules, info)
    except InvalidInput as err:
        await show(message, screens.ask_answer_file(tr, STAFF, await _appeal_of_dialog(state),
                                                    tr(err.message_key, **err.params)))
        return
    await _send_answer(message, state, tr, session, appeal_rules, actor, info.file_id, info.kind)


async def answer_file_other(message: Message, state: FSMContext, tr: Texts) -> None:
    await show(message, screens.ask_answer_file(tr, STAFF, await _appeal_of_dialog(state)))


async def merge_start(query: CallbackQuery, callback_data: StaffAppealCB, state: FSMContext,
                      tr: Texts, session: AsyncSession) -> None:
    appeal = await appeals.get(session, callback_data.appeal_id)
    _require_move(appeal, AppealStatus.MERGED)
    await _ask(query, state, StaffAppealForm.merge_target, appeal, screens.prompt(
        tr, STAFF, appeal.id, tr("appeals.admin.ask_merge", number=appeal.number)))


async def merge_target(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                       actor: str) -> None:
    appeal_id = await _appeal_of_dialog(state)
    try:
        target = await appeals.find_by_number(session, message.text or "")
        appeal = await appeals.merge(session, actor, appeal_id, target.id)
    except (InvalidInput, NotFound, Conflict) as err:
        await _again(message, tr, appeal_id, err)
        return
    await state.set_state(None)
    await show_card(message, tr, session, appeal.id,
                    tr("appeals.admin.merged", number=target.number))


def router() -> Router:
    """The moderators' appeals router: commands, the queue, the card, the dialogs."""
    r = Router(name="appeals_admin")
    r.message.filter(HasRole(Role.MODERATOR))
    r.callback_query.filter(HasRole(Role.MODERATOR))
    press, typed = r.callback_query.register, r.message.register
    typed(appeals_command, Command("appeals"))
    press(queue_again, StaffQueueCB.filter())
    press(queue_page, StaffListCB.filter())
    press(card, StaffCardCB.filter())
    press(choose_department, _on(StaffAction.ASSIGN))
    press(assign_department, StaffDeptCB.filter())
    press(take, _on(StaffAction.TAKE))
    press(change_status, StaffAppealCB.filter(F.action.in_({StaffAction.PROGRESS,
                                                            StaffAction.CLOSE})))
    press(toggle_simple, _on(StaffAction.SIMPLE))
    press(send_files, _on(StaffAction.FILES))
    press(extend_start, _on(StaffAction.EXTEND))
    press(extend_to_max, _on(StaffAction.EXTEND_MAX))
    typed(extend_date, StateFilter(StaffAppealForm.extend_date), NOT_COMMAND)
    typed(extend_reason, StateFilter(StaffAppealForm.extend_reason), NOT_COMMAND)
    press(return_start, _on(StaffAction.RETURN))
    typed(return_reason, StateFilter(StaffAppealForm.return_reason), NOT_COMMAND)
    press(answer_start, _on(StaffAction.ANSWER))
    typed(answer_text, StateFilter(StaffAppealForm.answer_text), NOT_COMMAND)
    press(answer_without_file, _on(StaffAction.ANSWER_SEND),
          StateFilter(StaffAppealForm.answer_file))
    typed(answer_with_file, StateFilter(StaffAppealForm.answer_file), F.document | F.photo)
    typed(answer_file_other, StateFilter(StaffAppealForm.answer_file), NOT_COMMAND)
    press(merge_start, _on(StaffAction.MERGE))
    typed(merge_target, StateFilter(StaffAppealForm.merge_target), NOT_COMMAND)
    r.include_router(reports.router())
    return r
