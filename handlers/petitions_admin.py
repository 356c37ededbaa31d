"""E-petitions for moderators: the queue, approve/reject, typo fixes, answers, CSV export."""

from __future__ import annotations

from datetime import timedelta

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
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.aiogram_filters import HasRole
from handlers.kit.ids import RowId, SmallNumber
from handlers.petitions import progress_bar
from handlers.ui import show
from services import petitions
from services.errors import Conflict, DomainError, InvalidInput
from services.i18n import Raw, Texts
from services.ids import parse_row_id
from services.models import AnswerKind, PetitionStatus, RejectReason, Role
from services.petitions import ListKind, PetitionRules
from services.timeutil import format_date, format_datetime

router = Router(name="petitions_admin")
router.message.filter(HasRole(Role.MODERATOR))
router.callback_query.filter(HasRole(Role.MODERATOR))

NOT_COMMAND = ~F.text.startswith("/")
EDITABLE = (PetitionStatus.MODERATION, PetitionStatus.COLLECTING)


class PetAdmCB(CallbackData, prefix="pa"):
    action: str
    id: RowId = 0
    value: str = ""
    page: SmallNumber = 0


class PetitionModeration(StatesGroup):
    reject_comment = State()
    edit_title = State()
    edit_text = State()
    answer_text = State()


def _waited(tr: Texts, waited: timedelta) -> str:
    if waited >= timedelta(days=1):
        return tr.plural("petition.days", waited.days)
    return tr.plural("petition.hours", int(waited.total_seconds() // 3600))


def _btn(text: str, action: str, petition_id: int = 0, value: str = "",
         page: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=PetAdmCB(action=action, id=petition_id, value=value,
                                          page=page).pack())


# ---- the queues ---------------------------------------------------------------------------


async def show_queue(event: Message | CallbackQuery, session: AsyncSession, tr: Texts,
                     page: int = 0) -> None:
    items, result = await petitions.moderation_queue(session, page=page)
    lines = [tr("petition.admin.queue_title", total=result.total)]
    if not items:
        lines.append(tr("petition.admin.queue_empty"))
    else:
        lines.append(tr("petition.list.page", page=result.page + 1, pages=result.pages))
    for item in items:
        lines.append("")
        lines.append(tr("petition.admin.queue_item", title=item.petition.title,
                        filed=format_datetime(item.petition.created_at),
                        waited=Raw(_waited(tr, item.waited))))
        if item.overdue:
            lines.append(tr("petition.admin.overdue"))
    rows = [[_btn(("⚠️ " if i.overdue else "") + petitions_label(i.petition.title), "view",
                  i.petition.id)] for i in items]
    nav = []
    if result.has_prev:
        nav.append(_btn(tr("petition.btn.prev"), "queue", page=result.page - 1))
    if result.has_next:
        nav.append(_btn(tr("petition.btn.next"), "queue", page=result.page + 1))
    if nav:
        rows.append(nav)
    rows.append([_btn(tr("petition.admin.btn.awaiting"), "awaiting")])
    await show(event, "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows))


def petitions_label(title: str) -> str:
    return title if len(title) <= 48 else title[:47].rstrip() + "…"


async def show_awaiting(event: Message | CallbackQuery, session: AsyncSession, tr: Texts,
                        page: int = 0) -> None:
    """Petitions that reached the threshold and wait for (or are getting) an answer."""
    result = await petitions.list_petitions(session, ListKind.CONSIDERED, page=page)
    lines = [tr("petition.admin.awaiting_title")]
    shown = [p for p in result.items if p.status in petitions.AWAITING]
    for p in shown:
        lines.append("")
        lines.append(tr("petition.list.item", number=p.number or "—", title=p.title))
        lines.append(tr(f"petition.status.{p.status}"))
        if p.answer_due_at is not None:
            lines.append(tr("petition.admin.answer_due", due=format_date(p.answer_due_at)))
    if not shown:
        lines.append(tr("petition.list.empty"))
    rows = [[_btn(f"№{p.number} " + petitions_label(p.title), "view", p.id)] for p in shown]
    nav = []
    if result.has_prev:
        nav.append(_btn(tr("petition.btn.prev"), "awaiting", page=result.page - 1))
    if result.has_next:
        nav.append(_btn(tr("petition.btn.next"), "awaiting", page=result.page + 1))
    if nav:
        rows.append(nav)
    rows.append([_btn(tr("petition.admin.btn.queue"), "queue")])
    await show(event, "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows))


@router.message(Command("petitions_queue"))
async def queue_command(message: Message, state: FSMContext, session: AsyncSession,
                        tr: Texts) -> None:
    await state.set_state(None)
    await show_queue(message, session, tr)


@router.callback_query(PetAdmCB.filter(F.action == "queue"))
async def queue_page(query: CallbackQuery, callback_data: PetAdmCB, state: FSMContext,
                     session: AsyncSession, tr: Texts) -> None:
    await state.set_state(None)
    await show_queue(query, session, tr, callback_data.page)


@router.callback_query(PetAdmCB.filter(F.action == "awaiting"))
async def awaiting_page(query: CallbackQuery, callback_data: PetAdmCB, session: AsyncSession,
                        tr: Texts) -> None:
    await show_awaiting(query, session, tr, callback_data.page)


# ---- one petition -------------------------------------------------------------------------


async def show_petition(event: Message | CallbackQuery, session: AsyncSession, tr: Texts,
                        petition_id: int) -> None:
    view = await petitions.card(session, petition_id, None, is_staff=True)
    p = view.petition
    lines = [
        tr("petition.card.title", number=p.number) if p.number else tr("petition.card.draft"),
        tr("petition.card.heading", title=p.title),
        tr("petition.card.author", name=view.author_name or tr("petition.card.author_unknown")),
        tr("petition.admin.filed", filed=format_datetime(p.created_at)),
    ]
    if p.category:
        lines.append(tr("petition.card.category", category=p.category))
    lines += ["", tr("petition.card.body", text=petitions_clip(p.text)), ""]
    lines.append(tr("petition.card.status", status=Raw(tr(f"petition.status.{p.status}"))))
    if p.threshold:
        lines.append(progress_bar(p.signature_count, p.threshold) + " "
                     + tr.plural("petition.signatures", p.signature_count)
                     + f" / {p.threshold}")
    if p.answer_due_at is not None and p.status in petitions.AWAITING:
        lines.append(tr("petition.admin.answer_due", due=format_date(p.answer_due_at)))
    rows: list[list[InlineKeyboardButton]] = []
    if p.status == PetitionStatus.MODERATION:
        rows.append([_btn(tr("petition.admin.btn.approve"), "approve", p.id),
                     _btn(tr("petition.admin.btn.reject"), "reject", p.id)])
    if p.status in EDITABLE:
        rows.append([_btn(tr("petition.admin.btn.edit_title"), "edit_title", p.id),
                     _btn(tr("petition.admin.btn.edit_text"), "edit_text", p.id)])
    if p.status == PetitionStatus.AWAITING_ANSWER:
        rows.append([_btn(tr("petition.admin.btn.consider"), "consider", p.id)])
    if p.status in petitions.AWAITING:
        rows.append([_btn(tr("petition.admin.btn.answer"), "answer", p.id)])
    if p.status not in (PetitionStatus.MODERATION, PetitionStatus.REJECTED,
                        PetitionStatus.HIDDEN):
        rows.append([_btn(tr("petition.admin.btn.export"), "export", p.id)])
    rows.append([_btn(tr("petition.admin.btn.queue"), "queue"),
                 _btn(tr("petition.admin.btn.awaiting"), "awaiting")])
    await show(event, "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows))


def petitions_clip(text: str, limit: int = 3000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _petition_id(command: CommandObject) -> int:
    petition_id = parse_row_id((command.args or "").strip().lstrip("№#"))
    if petition_id is None:
        raise InvalidInput("petition.admin.usage_id", command=command.command)
    return petition_id


@router.message(Command("petition_manage"))
async def manage_command(message: Message, command: CommandObject, state: FSMContext,
                         session: AsyncSession, tr: Texts) -> None:
    await state.set_state(None)
    if not (command.args or "").strip():
        await show_awaiting(message, session, tr)
        return
    await show_petition(message, session, tr, _petition_id(command))


@router.callback_query(PetAdmCB.filter(F.action == "view"))
async def view(query: CallbackQuery, callback_data: PetAdmCB, state: FSMContext,
               session: AsyncSession, tr: Texts) -> None:
    await state.set_state(None)
    await show_petition(query, session, tr, callback_data.id)


@router.callback_query(PetAdmCB.filter(F.action == "approve"))
async def approve(query: CallbackQuery, callback_data: PetAdmCB, session: AsyncSession,
                  tr: Texts, petition_rules: PetitionRules, actor: str,
                  callback_answer: CallbackAnswer) -> None:
    petition = await petitions.approve(session, petition_rules, actor,
                                       callback_data.id)
    await session.commit()
    callback_answer.text = tr("petition.admin.approved", number=petition.number)
    await show_petition(query, session, tr, callback_data.id)


@router.callback_query(PetAdmCB.filter(F.action == "reject"))
async def reject_reasons(query: CallbackQuery, callback_data: PetAdmCB, session: AsyncSession,
                         tr: Texts) -> None:
    petition = await petitions.get(session, callback_data.id)
    rows = [[_btn(tr(f"petition.reason.{r.value}"), "reason", petition.id, r.value)]
            for r in RejectReason]
    rows.append([_btn(tr("petition.admin.btn.back"), "view", petition.id)])
    await show(query, tr("petition.admin.reject_ask", title=petition.title),
               InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(PetAdmCB.filter(F.action == "reason"))
async def reject_reason(query: CallbackQuery, callback_data: PetAdmCB, state: FSMContext,
                        session: AsyncSession, tr: Texts) -> None:
    if callback_data.value not in {r.value for r in RejectReason}:
        raise InvalidInput("petition.error.reason")
    await petitions.get(session, callback_data.id)  # a stale or forged id: not found at once
    await state.set_state(PetitionModeration.reject_comment)
    await state.update_data(petition_id=callback_data.id, petition_reason=callback_data.value)
    await show(query, tr("petition.admin.comment_ask",
                         reason=Raw(tr(f"petition.reason.{callback_data.value}"))),
               InlineKeyboardMarkup(inline_keyboard=[
                   [_btn(tr("petition.admin.btn.no_comment"), "reject_go", callback_data.id,
                         callback_data.value)],
                   [_btn(tr("petition.admin.btn.back"), "view", callback_data.id)],
               ]))


async def _do_reject(event: Message | CallbackQuery, session: AsyncSession, tr: Texts,
                     petition_rules: PetitionRules, actor: str, petition_id: int, reason: str,
                     comment: str | None) -> None:
    await petitions.reject(session, petition_rules, actor, petition_id, reason,
                           comment)
    await session.commit()
    if isinstance(event, Message):
        await event.answer(tr("petition.admin.rejected"))
    await show_petition(event, session, tr, petition_id)


@router.callback_query(PetAdmCB.filter(F.action == "reject_go"))
async def reject_without_comment(query: CallbackQuery, callback_data: PetAdmCB,
                                 state: FSMContext, session: AsyncSession, tr: Texts,
                                 petition_rules: PetitionRules, actor: str,
                                 callback_answer: CallbackAnswer) -> None:
    await state.set_state(None)
    callback_answer.text = tr("petition.admin.rejected")
    await _do_reject(query, session, tr, petition_rules, actor, callback_data.id,
                     callback_data.value, None)


@router.message(StateFilter(PetitionModeration.reject_comment), F.text, NOT_COMMAND)
async def reject_with_comment(message: Message, state: FSMContext, session: AsyncSession,
                              tr: Texts, petition_rules: PetitionRules, actor: str) -> None:
    data = await state.get_data()
    try:
        await petitions.reject(session, petition_rules, actor,
                               int(data["petition_id"]), data["petition_reason"], message.text)
    except DomainError as err:
        await _dialog_error(message, state, tr, err)
        return
    await session.commit()
    await state.set_state(None)
    await message.answer(tr("petition.admin.rejected"))
    await show_petition(message, session, tr, int(data["petition_id"]))


async def _dialog_error(message: Message, state: FSMContext, tr: Texts,
                        err: DomainError) -> None:
    """Bad input: say why and wait for another try; a rule that says no ends the dialog."""
    if not isinstance(err, InvalidInput):
        await state.set_state(None)
    await message.answer(tr(err.message_key, **err.params))


@router.callback_query(PetAdmCB.filter(F.action.in_({"edit_title", "edit_text"})))
async def edit_ask(query: CallbackQuery, callback_data: PetAdmCB, state: FSMContext,
                   session: AsyncSession, tr: Texts) -> None:
    petition = await petitions.get(session, callback_data.id)
    field = "title" if callback_data.action == "edit_title" else "text"
    await state.set_state(PetitionModeration.edit_title if field == "title"
                          else PetitionModeration.edit_text)
    await state.update_data(petition_id=petition.id)
    current = petition.title if field == "title" else petition.text
    await show(query, tr(f"petition.admin.edit_{field}_ask", current=current),
               InlineKeyboardMarkup(inline_keyboard=[
                   [_btn(tr("petition.admin.btn.back"), "view", petition.id)]]))


@router.message(StateFilter(PetitionModeration.edit_title, PetitionModeration.edit_text),
                NOT_COMMAND)
async def edit_typed(message: Message, state: FSMContext, session: AsyncSession, tr: Texts,
                     petition_rules: PetitionRules, actor: str) -> None:
    data = await state.get_data()
    petition_id = int(data["petition_id"])
    field = "title" if await state.get_state() == PetitionModeration.edit_title.state else "text"
    if message.text is None:
        await message.answer(tr("petition.error.not_text"))
        return
    try:
        if field == "title":
            await petitions.edit(session, petition_rules, actor, petition_id,
                                 title=message.text)
        else:
            await petitions.edit(session, petition_rules, actor, petition_id,
                                 text=message.text)
    except DomainError as err:
        await _dialog_error(message, state, tr, err)
        return
    await session.commit()
    await state.set_state(None)
    await message.answer(tr("petition.admin.edited"))
    await show_petition(message, session, tr, petition_id)


@router.callback_query(PetAdmCB.filter(F.action == "consider"))
async def consider(query: CallbackQuery, callback_data: PetAdmCB, session: AsyncSession,
                   tr: Texts, actor: str, callback_answer: CallbackAnswer) -> None:
    await petitions.mark_under_consideration(session, actor, callback_data.id)
    await session.commit()
    callback_answer.text = tr("petition.admin.considered")
    await show_petition(query, session, tr, callback_data.id)


@router.callback_query(PetAdmCB.filter(F.action == "answer"))
async def answer_kind(query: CallbackQuery, callback_data: PetAdmCB, session: AsyncSession,
                      tr: Texts) -> None:
    petition = await petitions.get(session, callback_data.id)
    if petition.status not in petitions.AWAITING:
        raise Conflict("petition.error.not_awaiting")
    rows = [[_btn(tr(f"petition.answer_kind.{k.value}"), "kind", petition.id, k.value)]
            for k in AnswerKind]
    rows.append([_btn(tr("petition.admin.btn.back"), "view", petition.id)])
    await show(query, tr("petition.admin.answer_kind_ask", title=petition.title),
               InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(PetAdmCB.filter(F.action == "kind"))
async def answer_ask(query: CallbackQuery, callback_data: PetAdmCB, state: FSMContext,
                     session: AsyncSession, tr: Texts) -> None:
    if callback_data.value not in {k.value for k in AnswerKind}:
        raise InvalidInput("petition.error.answer_kind")
    await petitions.get(session, callback_data.id)  # a stale or forged id: not found at once
    await state.set_state(PetitionModeration.answer_text)
    await state.update_data(petition_id=callback_data.id, petition_answer_kind=callback_data.value)
    await show(query, tr("petition.admin.answer_text_ask",
                         kind=Raw(tr(f"petition.answer_kind.{callback_data.value}"))),
               InlineKeyboardMarkup(inline_keyboard=[
                   [_btn(tr("petition.admin.btn.back"), "view", callback_data.id)]]))


@router.message(StateFilter(PetitionModeration.answer_text), NOT_COMMAND)
async def answer_typed(message: Message, state: FSMContext, session: AsyncSession, tr: Texts,
                       petition_rules: PetitionRules, actor: str) -> None:
    data = await state.get_data()
    petition_id = int(data["petition_id"])
    try:
        await petitions.publish_answer(session, petition_rules, actor,
                                       petition_id, data["petition_answer_kind"], message.text)
    except DomainError as err:
        await _dialog_error(message, state, tr, err)
        return
    await session.commit()
    await state.set_state(None)
    await message.answer(tr("petition.admin.answered"))
    await show_petition(message, session, tr, petition_id)


# ---- export -------------------------------------------------------------------------------


async def _send_export(message: Message, session: AsyncSession, tr: Texts, actor: str,
                       petition_id: int) -> None:
    petition = await petitions.get(session, petition_id)
    data = await petitions.export_signatures(
        session, actor, petition_id,
        (tr("petition.export.name"), tr("petition.export.address"), tr("petition.export.date")),
        forgotten=tr("petition.export.forgotten"),
    )
    # The audit record must survive even if sending the file fails half-way.
    await session.commit()
    name = f"petition_{petition.number or petition.id}_signatures.csv"
    await message.answer_document(
        BufferedInputFile(data, filename=name),
        caption=tr("petition.export.caption", title=petition.title,
                   count=Raw(tr.plural("petition.signatures", petition.signature_count))),
    )


@router.message(Command("petition_export"))
async def export_command(message: Message, command: CommandObject, session: AsyncSession,
                         tr: Texts, actor: str) -> None:
    await _send_export(message, session, tr, actor, _petition_id(command))


@router.callback_query(PetAdmCB.filter(F.action == "export"))
async def export_button(query: CallbackQuery, callback_data: PetAdmCB, session: AsyncSession,
                        tr: Texts, actor: str) -> None:
    if isinstance(query.message, Message):
        await _send_export(query.message, session, tr, actor, callback_data.id)


@router.callback_query(PetAdmCB.filter())
async def unknown_action(query: CallbackQuery, callback_answer: CallbackAnswer,
                         tr: Texts) -> None:
    callback_answer.text = tr("common.stale_button")
    callback_answer.show_alert = True

