"""Moderators' side of appeals: queue, card, assign, statuses, extend, return, answer, merge.

Everything here is behind `HasRole(Role.MODERATOR)`: to anyone else `/appeals` looks like an
unknown command. Every action is a service call; the service audits and notifies the author.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.appeals import history_lines
from handlers.kit.aiogram_filters import HasRole
from handlers.kit.ids import RowId, SmallNumber
from handlers.menu import menu_button
from handlers.petitions import PetCB
from handlers.ui import show
from services import appeals
from services.appeals import AppealRules
from services.errors import Conflict, InvalidInput, NotFound
from services.i18n import Raw, Texts
from services.models import Petition, Role
from services.models.appeals import Appeal, AppealEvent, AppealStatus, AttachmentKind
from services.timeutil import format_date, local_today

router = Router(name="appeals_admin")
router.message.filter(HasRole(Role.MODERATOR))
router.callback_query.filter(HasRole(Role.MODERATOR))

PER_PAGE = 5
NOT_COMMAND = ~F.text.startswith("/")


class StaffAppealCB(CallbackData, prefix="sap"):
    action: str
    id: RowId = 0
    value: str = ""
    page: SmallNumber = 0


class StaffAppealForm(StatesGroup):
    extend_date = State()
    extend_reason = State()
    return_reason = State()
    answer_text = State()
    answer_file = State()
    merge_target = State()


def _button(text: str, action: str, id: int = 0, value: str = "", page: int = 0
            ) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=StaffAppealCB(action=action, id=id, value=value,
                                               page=page).pack()
    )


def _markup(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[r for r in rows if r])


def parse_date(raw: str | None) -> date:
    """`DD.MM.YYYY` (as shown everywhere) or ISO `YYYY-MM-DD`."""
    value = (raw or "").strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        with contextlib.suppress(ValueError):
            return datetime.strptime(value, fmt).date()
    raise InvalidInput("appeals.admin.bad_date")


# --- the queue ---------------------------------------------------------------------------


async def show_queue(event: Message | CallbackQuery, tr: Texts, session: AsyncSession) -> None:
    groups = await appeals.queue_summary(session)
    today = local_today()
    total = sum(g.count for g in groups)
    rows = [
        [_button(tr("appeals.admin.queue.group", category=appeals.category_label(tr, g.category),
                    count=g.count,
                    age=tr.plural("appeals.days", (today - local_today(g.oldest)).days)),
                 "list", value=g.category)]
        for g in groups
    ]
    if groups:
        rows.append([_button(tr("appeals.admin.queue.all"), "list")])
    rows.append([menu_button(tr)])  # no dead end: the queue is a screen like any other
    text = tr("appeals.admin.queue.title") + "\n" + (
        tr.plural("appeals.admin.queue.open", total) if total else tr("appeals.admin.queue.empty")
    )
    await show(event, text, _markup(*rows))


@router.message(Command("appeals"))
async def appeals_command(message: Message, state: FSMContext, tr: Texts,
                          session: AsyncSession) -> None:
    await state.set_state(None)
    await show_queue(message, tr, session)


@router.callback_query(StaffAppealCB.filter(F.action == "queue"))
async def queue_again(query: CallbackQuery, state: FSMContext, tr: Texts,
                      session: AsyncSession) -> None:
    await state.set_state(None)
    await show_queue(query, tr, session)


@router.callback_query(StaffAppealCB.filter(F.action == "list"))
async def queue_list(query: CallbackQuery, callback_data: StaffAppealCB, state: FSMContext,
                     tr: Texts, session: AsyncSession) -> None:
    await state.set_state(None)
    page = await appeals.queue(session, callback_data.value or None, callback_data.page,
                               PER_PAGE)
    today = local_today()
    rows = [
        [_button(("⚠️ " if a.deadline < today else "")
                 + tr("appeals.list.item", number=a.number,
                      status=appeals.status_label(tr, a.status),
                      deadline=format_date(a.deadline)),
                 "card", id=a.id, value=callback_data.value, page=page.page)]
        for a in page.items
    ]
    pager = []
    if page.page > 0:
        pager.append(_button(tr("appeals.prev"), "list", value=callback_data.value,
                             page=page.page - 1))
    if page.page + 1 < page.pages:
        pager.append(_button(tr("appeals.next"), "list", value=callback_data.value,
                             page=page.page + 1))
    title = appeals.category_label(tr, callback_data.value) if callback_data.value \
        else tr("appeals.admin.queue.all")
    await show(query, tr("appeals.admin.list.title", title=title, page=page.page + 1,
                         pages=page.pages),
               _markup(*rows, pager, [_button(tr("common.back"), "queue")]))


# --- the card and its actions ------------------------------------------------------------


def _card_text(tr: Texts, appeal: Appeal, events: list[AppealEvent], supporters: int,
               petition: Petition | None = None) -> str:
    if appeal.latitude is not None and appeal.longitude is not None:
        place = tr("appeals.summary.point", lat=f"{appeal.latitude:.5f}",
                   lon=f"{appeal.longitude:.5f}")
    else:
        place = appeal.location_text or tr("appeals.summary.no_place")
    text = tr(
        "appeals.admin.card",
        number=appeal.number,
        type=appeals.type_label(tr, appeal.type),
        category=appeals.category_label(tr, appeal.category),
        date=format_date(appeal.registered_at),
        status=appeals.status_label(tr, appeal.status),
        deadline=format_date(appeal.deadline),
        simple=tr("appeals.admin.simple_yes") if appeal.is_simple else "",
        name=appeal.author_name,
        address=appeal.author_address,
        place=place,
        department=appeals.department_label(tr, appeal.department) if appeal.department
        else "—",
        assignee=appeal.assignee or "—",
        files=len(appeal.attachments),
        supporters=supporters,
        text=appeal.text[:1500],
    )
    if petition is not None:
        text += "\n\n" + tr("appeals.admin.card.petition", number=petition.number or "—",
                            title=petition.title)
    if appeal.answer_text:
        text += "\n\n" + tr("appeals.card.answer", answer=appeal.answer_text[:800])
    return text + "\n\n" + tr("appeals.card.history") + "\n" + Raw(history_lines(tr, events))


def _card_markup(tr: Texts, appeal: Appeal, back_value: str, page: int,
                 petition: Petition | None = None) -> InlineKeyboardMarkup:
    status = AppealStatus(appeal.status)
    is_open = status in appeals.OPEN_STATUSES
    rows: list[list[InlineKeyboardButton]] = []
    if is_open:
        rows.append([_button(tr("appeals.admin.assign"), "assign", appeal.id),
                     _button(tr("appeals.admin.take"), "take", appeal.id)])
        row = []
        if appeals.can_move(appeal.status, AppealStatus.IN_PROGRESS):
            row.append(_button(tr("appeals.admin.progress"), "progress", appeal.id))
        if not appeal.extended:
            row.append(_button(tr("appeals.admin.unsimple" if appeal.is_simple
                                  else "appeals.admin.simple"), "simple", appeal.id))
        rows.append(row)
        row = []
        if not appeal.extended:
            row.append(_button(tr("appeals.admin.extend"), "extend", appeal.id))
        if appeals.can_move(appeal.status, AppealStatus.RETURNED):
            row.append(_button(tr("appeals.admin.return"), "return", appeal.id))
        rows.append(row)
        rows.append([_button(tr("appeals.admin.answer"), "answer", appeal.id),
                     _button(tr("appeals.admin.merge"), "merge", appeal.id)])
    if appeals.can_move(appeal.status, AppealStatus.CLOSED):
        rows.append([_button(tr("appeals.admin.close"), "close", appeal.id)])
    if appeal.attachments or appeal.latitude is not None:
        rows.append([_button(tr("appeals.admin.files", n=len(appeal.attachments)), "files",
                             appeal.id)])
    if petition is not None:
        rows.append([InlineKeyboardButton(text=tr("appeals.admin.open_petition"),
                                          callback_data=PetCB(action="open",
                                                              id=petition.id).pack())])
    rows.append([_button(tr("common.back"), "list", value=back_value, page=page)])
    return _markup(*rows)


async def show_card(event: Message | CallbackQuery, tr: Texts, session: AsyncSession,
                    appeal_id: int, notice: str = "", back_value: str = "", page: int = 0
                    ) -> None:
    await session.commit()  # the action before it is done; do not hold locks over HTTP
    appeal = await appeals.get(session, appeal_id)
    events = await appeals.history(session, appeal.id)
    supporters = await appeals.supporters_count(session, appeal.id)
    petition = await appeals.source_petition(session, appeal)
    text = (notice + "\n\n" if notice else "") + _card_text(tr, appeal, events, supporters,
                                                             petition)
    await show(event, text, _card_markup(tr, appeal, back_value, page, petition))


@router.callback_query(StaffAppealCB.filter(F.action == "card"))
async def card(query: CallbackQuery, callback_data: StaffAppealCB, state: FSMContext,
               tr: Texts, session: AsyncSession) -> None:
    await state.set_state(None)
    await show_card(query, tr, session, callback_data.id, back_value=callback_data.value,
                    page=callback_data.page)


@router.callback_query(StaffAppealCB.filter(F.action == "assign"))
async def choose_department(query: CallbackQuery, callback_data: StaffAppealCB, tr: Texts,
                            session: AsyncSession, appeal_rules: AppealRules) -> None:
    appeal = await appeals.get(session, callback_data.id)  # a stale or forged id: not found
    rows = [[_button(appeals.department_label(tr, d), "dept", appeal.id, d)]
            for d in appeal_rules.departments]
    await show(query, tr("appeals.admin.choose_department"),
               _markup(*rows, [_button(tr("common.back"), "card", appeal.id)]))


@router.callback_query(StaffAppealCB.filter(F.action == "dept"))
async def assign_department(query: CallbackQuery, callback_data: StaffAppealCB, tr: Texts,
                            session: AsyncSession, appeal_rules: AppealRules, actor: str) -> None:
    appeal = await appeals.assign(session, appeal_rules, actor,
                                  callback_data.id, department=callback_data.value)
    await show_card(query, tr, session, appeal.id, tr("appeals.admin.done"))


@router.callback_query(StaffAppealCB.filter(F.action == "take"))
async def take(query: CallbackQuery, callback_data: StaffAppealCB, tr: Texts,
               session: AsyncSession, appeal_rules: AppealRules, actor: str) -> None:
    appeal = await appeals.assign(session, appeal_rules, actor,
                                  callback_data.id, assignee=actor)
    await show_card(query, tr, session, appeal.id, tr("appeals.admin.done"))


@router.callback_query(StaffAppealCB.filter(F.action.in_({"progress", "close"})))
async def change_status(query: CallbackQuery, callback_data: StaffAppealCB, tr: Texts,
                        session: AsyncSession, actor: str) -> None:
    target = AppealStatus.IN_PROGRESS if callback_data.action == "progress" \
        else AppealStatus.CLOSED
    appeal = await appeals.set_status(session, actor, callback_data.id, target)
    await show_card(query, tr, session, appeal.id, tr("appeals.admin.done"))


@router.callback_query(StaffAppealCB.filter(F.action == "simple"))
async def toggle_simple(query: CallbackQuery, callback_data: StaffAppealCB, tr: Texts,
                        session: AsyncSession, appeal_rules: AppealRules, actor: str) -> None:
    current = await appeals.get(session, callback_data.id)
    appeal = await appeals.mark_simple(session, appeal_rules, actor,
                                       current.id, simple=not current.is_simple)
    await show_card(query, tr, session, appeal.id,
                    tr("appeals.admin.deadline_now", deadline=format_date(appeal.deadline)))


@router.callback_query(StaffAppealCB.filter(F.action == "files"))
async def send_files(query: CallbackQuery, callback_data: StaffAppealCB,
                     session: AsyncSession) -> None:
    appeal = await appeals.get(session, callback_data.id)
    message = query.message
    if not isinstance(message, Message):
        return
    for item in appeal.attachments:
        if item.kind == AttachmentKind.PHOTO:
            await message.answer_photo(item.file_id, caption=appeal.number)
        else:
            await message.answer_document(item.file_id, caption=appeal.number)
    if appeal.latitude is not None and appeal.longitude is not None:
        await message.answer_location(appeal.latitude, appeal.longitude)


def _cancel_row(tr: Texts, appeal_id: int) -> list[InlineKeyboardButton]:
    return [_button(tr("common.cancel"), "card", appeal_id)]


async def _ask(query: CallbackQuery, state: FSMContext, tr: Texts, appeal: Appeal, step: State,
               prompt_key: str, *rows: list[InlineKeyboardButton], **params: Any) -> None:
    """Open a staff dialog step about `appeal`: remember it, ask, offer a way out."""
    await state.set_state(step)
    await state.update_data(staff_appeal=appeal.id)
    await show(query, tr(prompt_key, number=appeal.number, **params),
               _markup(*rows, _cancel_row(tr, appeal.id)))


def _require_move(appeal: Appeal, target: AppealStatus) -> None:
    if not appeals.can_move(appeal.status, target):
        raise InvalidInput("appeals.error.transition", number=appeal.number)


# --- extend (date, then reason) ----------------------------------------------------------


@router.callback_query(StaffAppealCB.filter(F.action == "extend"))
async def extend_start(query: CallbackQuery, callback_data: StaffAppealCB, state: FSMContext,
                       tr: Texts, session: AsyncSession, appeal_rules: AppealRules) -> None:
    appeal = await appeals.get(session, callback_data.id)
    appeals.check_extension(appeal, appeal_rules)
    latest = format_date(appeals.latest_deadline(appeal, appeal_rules))
    await _ask(query, state, tr, appeal, StaffAppealForm.extend_date,
               "appeals.admin.ask_extend_date", [_button(latest, "extend_max", appeal.id)],
               deadline=format_date(appeal.deadline), latest=latest)


async def _ask_extend_reason(event: Message | CallbackQuery, state: FSMContext, tr: Texts,
                             appeal_id: int, new_date: date) -> None:
    await state.set_state(StaffAppealForm.extend_reason)
    await state.update_data(staff_appeal=appeal_id, staff_date=new_date.isoformat())
    await show(event, tr("appeals.admin.ask_extend_reason", date=format_date(new_date)),
               _markup(_cancel_row(tr, appeal_id)))


@router.callback_query(StaffAppealCB.filter(F.action == "extend_max"))
async def extend_to_max(query: CallbackQuery, callback_data: StaffAppealCB, state: FSMContext,
                        tr: Texts, session: AsyncSession, appeal_rules: AppealRules) -> None:
    appeal = await appeals.get(session, callback_data.id)
    latest = appeals.latest_deadline(appeal, appeal_rules)
    appeals.check_extension(appeal, appeal_rules, latest)
    await _ask_extend_reason(query, state, tr, appeal.id, latest)


@router.message(StateFilter(StaffAppealForm.extend_date), NOT_COMMAND)
async def extend_date(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                      appeal_rules: AppealRules) -> None:
    appeal_id = int((await state.get_data()).get("staff_appeal") or 0)
    appeal = await appeals.get(session, appeal_id)
    try:
        new_date = parse_date(message.text)
        appeals.check_extension(appeal, appeal_rules, new_date)
        new_date = appeals.extension_deadline(new_date)
    except InvalidInput as err:
        await message.answer(tr(err.message_key, **err.params) + "\n"
                             + tr("appeals.admin.ask_extend_date_again"),
                             reply_markup=_markup(_cancel_row(tr, appeal_id)))
        return
    await _ask_extend_reason(message, state, tr, appeal.id, new_date)


@router.message(StateFilter(StaffAppealForm.extend_reason), NOT_COMMAND)
async def extend_reason(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                        appeal_rules: AppealRules, actor: str) -> None:
    data = await state.get_data()
    appeal_id = int(data.get("staff_appeal") or 0)
    try:
        appeal = await appeals.extend(session, appeal_rules, actor, appeal_id,
                                      new_deadline=date.fromisoformat(data["staff_date"]),
                                      reason=message.text or "")
    except InvalidInput as err:
        await message.answer(tr(err.message_key, **err.params),
                             reply_markup=_markup(_cancel_row(tr, appeal_id)))
        return
    await state.set_state(None)
    await show_card(message, tr, session, appeal.id,
                    tr("appeals.admin.extended", deadline=format_date(appeal.deadline)))


# --- return (Art. 5) ---------------------------------------------------------------------


@router.callback_query(StaffAppealCB.filter(F.action == "return"))
async def return_start(query: CallbackQuery, callback_data: StaffAppealCB, state: FSMContext,
                       tr: Texts, session: AsyncSession, appeal_rules: AppealRules) -> None:
    appeal = await appeals.get(session, callback_data.id)
    appeals.check_returnable(appeal, appeal_rules)
    await _ask(query, state, tr, appeal, StaffAppealForm.return_reason,
               "appeals.admin.ask_return_reason")


@router.message(StateFilter(StaffAppealForm.return_reason), NOT_COMMAND)
async def return_reason(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                        appeal_rules: AppealRules, actor: str) -> None:
    appeal_id = int((await state.get_data()).get("staff_appeal") or 0)
    try:
        appeal = await appeals.return_appeal(session, appeal_rules, actor,
                                             appeal_id, message.text or "")
    except InvalidInput as err:
        await message.answer(tr(err.message_key, **err.params),
                             reply_markup=_markup(_cancel_row(tr, appeal_id)))
        return
    await state.set_state(None)
    await show_card(message, tr, session, appeal.id, tr("appeals.admin.done"))


# --- answer (text, then an optional file) ------------------------------------------------


@router.callback_query(StaffAppealCB.filter(F.action == "answer"))
async def answer_start(query: CallbackQuery, callback_data: StaffAppealCB, state: FSMContext,
                       tr: Texts, session: AsyncSession) -> None:
    appeal = await appeals.get(session, callback_data.id)
    _require_move(appeal, AppealStatus.ANSWERED)
    await _ask(query, state, tr, appeal, StaffAppealForm.answer_text, "appeals.admin.ask_answer")


@router.message(StateFilter(StaffAppealForm.answer_text), NOT_COMMAND)
async def answer_text(message: Message, state: FSMContext, tr: Texts,
                      appeal_rules: AppealRules) -> None:
    appeal_id = int((await state.get_data()).get("staff_appeal") or 0)
    try:
        text = appeals.validate_text(appeal_rules, message.text)
    except InvalidInput as err:
        await message.answer(tr(err.message_key, **err.params),
                             reply_markup=_markup(_cancel_row(tr, appeal_id)))
        return
    await state.set_state(StaffAppealForm.answer_file)
    await state.update_data(staff_answer=text)
    await message.answer(tr("appeals.admin.ask_answer_file"),
                         reply_markup=_answer_file_markup(tr, appeal_id))


def _answer_file_markup(tr: Texts, appeal_id: int) -> InlineKeyboardMarkup:
    return _markup([_button(tr("appeals.admin.send_without_file"), "answer_send", appeal_id)],
                   _cancel_row(tr, appeal_id))


async def _send_answer(event: Message | CallbackQuery, state: FSMContext, tr: Texts,
                       session: AsyncSession, appeal_rules: AppealRules, actor: str,
                       file_id: str | None = None, kind: AttachmentKind | None = None) -> None:
    data = await state.get_data()
    appeal_id = int(data.get("staff_appeal") or 0)
    text = data.get("staff_answer")
    if not text:
        await state.set_state(None)
        raise InvalidInput("appeals.error.no_draft")
    appeal = await appeals.answer(session, appeal_rules, actor, appeal_id,
                                  text, file_id=file_id, file_kind=kind)
    await state.set_state(None)
    await state.update_data(staff_answer=None)
    await show_card(event, tr, session, appeal.id, tr("appeals.admin.answered"))


@router.callback_query(StaffAppealCB.filter(F.action == "answer_send"),
                       StateFilter(StaffAppealForm.answer_file))
async def answer_without_file(query: CallbackQuery, state: FSMContext, tr: Texts,
                              session: AsyncSession, appeal_rules: AppealRules, actor: str) -> None:
    await _send_answer(query, state, tr, session, appeal_rules, actor)


@router.message(StateFilter(StaffAppealForm.answer_file), F.document | F.photo)
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
        appeal_id = int((await state.get_data()).get("staff_appeal") or 0)
        await message.answer(tr(err.message_key, **err.params) + "\n"
                             + tr("appeals.admin.ask_answer_file"),
                             reply_markup=_answer_file_markup(tr, appeal_id))
        return
    await _send_answer(message, state, tr, session, appeal_rules, actor, info.file_id, info.kind)


@router.message(StateFilter(StaffAppealForm.answer_file), NOT_COMMAND)
async def answer_file_other(message: Message, state: FSMContext, tr: Texts) -> None:
    appeal_id = int((await state.get_data()).get("staff_appeal") or 0)
    await message.answer(tr("appeals.admin.ask_answer_file"),
                         reply_markup=_answer_file_markup(tr, appeal_id))


# --- merge -------------------------------------------------------------------------------


@router.callback_query(StaffAppealCB.filter(F.action == "merge"))
async def merge_start(query: CallbackQuery, callback_data: StaffAppealCB, state: FSMContext,
                      tr: Texts, session: AsyncSession) -> None:
    appeal = await appeals.get(session, callback_data.id)
    _require_move(appeal, AppealStatus.MERGED)
    await _ask(query, state, tr, appeal, StaffAppealForm.merge_target, "appeals.admin.ask_merge")


@router.message(StateFilter(StaffAppealForm.merge_target), NOT_COMMAND)
async def merge_target(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                       actor: str) -> None:
    appeal_id = int((await state.get_data()).get("staff_appeal") or 0)
    try:
        target = await appeals.find_by_number(session, message.text or "")
        appeal = await appeals.merge(session, actor, appeal_id, target.id)
    except (InvalidInput, NotFound, Conflict) as err:
        await message.answer(tr(err.message_key, **err.params),
                             reply_markup=_markup(_cancel_row(tr, appeal_id)))
        return
    await state.set_state(None)
    await show_card(message, tr, session, appeal.id,
                    tr("appeals.admin.merged", number=target.number))


# --- export and statistics ---------------------------------------------------------------


@router.message(Command("appeals_export"))
async def export(message: Message, command: CommandObject, tr: Texts, session: AsyncSession,
                 actor: str) -> None:
    parts = (command.args or "").split()
    try:
        if len(parts) != 2:
            raise InvalidInput("appeals.admin.export_usage")
        date_from, date_to = parse_date(parts[0]), parse_date(parts[1])
        text = await appeals.export_csv(session, actor, date_from, date_to)
    except InvalidInput as err:
        await message.answer(tr(err.message_key, **err.params) + "\n"
                             + tr("appeals.admin.export_usage"))
        return
    await session.commit()  # the audit entry is kept even if sending the file fails
    rows = max(text.count("\n") - 1, 0)
    await message.answer_document(
        BufferedInputFile(text.encode("utf-8-sig"),
                          filename=f"appeals_{date_from.isoformat()}_{date_to.isoformat()}.csv"),
        caption=tr("appeals.admin.export_done", date_from=format_date(date_from),
                   date_to=format_date(date_to), rows=rows),
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@router.message(Command("stats"))
async def stats(message: Message, tr: Texts, session: AsyncSession) -> None:
    figures = await appeals.stats(session)
    by_status = "\n".join(
        f"• {appeals.status_label(tr, s)}: {n}" for s, n in sorted(figures.by_status.items())
    ) or "—"
    by_category = "\n".join(
        f"• {appeals.category_label(tr, c)}: {n}"
        for c, n in sorted(figures.by_category.items(), key=lambda item: -item[1])
    ) or "—"
    await message.answer(tr(
        "appeals.admin.stats",
        total=figures.total,
        by_status=by_status,
        by_category=by_category,
        median="—" if figures.median_days is None else f"{figures.median_days:g}",
        on_time=_percent(figures.on_time_share),
        satisfaction="—" if figures.satisfaction is None else f"{figures.satisfaction:.1f}",
        rated=figures.rated,
    ))


__all__ = ["StaffAppealCB", "router"]
