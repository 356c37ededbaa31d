"""Moderators' side of appeals: queue, card, assign, statuses, the simple term, the files; the
dialogs (extend, return, answer, merge), the register's export and the statistics included.

Everything here is behind `HasRole(Role.MODERATOR)`: to anyone else `/appeals` looks like an
unknown command. Every action is a service call; the service audits and notifies the author.
The dialogs (a date, a reason, an answer, a number) are wizards in staff_dialogs.py; the
register's export and the statistics are in reports.py.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.appeals import reports, staff_dialogs
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
from handlers.appeals.staff_card import show_card
from handlers.kit.aiogram_filters import HasRole
from handlers.kit.screen import Media, MediaKind, Screen
from handlers.kit.show import show
from services import appeals
from services.appeals import AppealRules, AppealStatus, AttachmentKind
from services.i18n import Texts
from services.models import Role
from services.timeutil import format_date, local_today

PER_PAGE = 5


def _on(action: StaffAction) -> CallbackQueryFilter:
    return StaffAppealCB.filter(F.action == action)


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
    r.include_router(staff_dialogs.router())
    r.include_router(reports.router())
    return r
