"""Press service: events (create, edit, cancel) and broadcasts (compose, send, follow, stop).

Everything here is for staff with the press role (admins included); anyone else falls through
to the fallback handler, exactly as for an unknown command.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.kit.aiogram_filters import HasRole
from handlers.kit.dialogs import dialog_kind, register_dialog
from handlers.menu import menu_button
from handlers.press_callbacks import PressCB, press_button
from handlers.subscriptions import EventCB, event_card, topic_name
from handlers.ui import show
from services import broadcasts, drafts, events, subscriptions
from services.broadcasts import BroadcastRules
from services.db import utcnow
from services.drafts import DraftKind
from services.errors import Conflict, InvalidInput
from services.events import EventRules
from services.i18n import Raw, Texts, Translator
from services.models import Broadcast, Draft, Event, Role, Topic
from services.models.broadcasts import BroadcastStatus, EventKind
from services.timeutil import format_datetime, to_local

log = logging.getLogger(__name__)

router = Router(name="press")
router.message.filter(HasRole(Role.PRESS))
router.callback_query.filter(HasRole(Role.PRESS))

PAGE_SIZE = 5
PROGRESS_EVERY_SECONDS = 3.0
PROGRESS_FOR_AT_MOST = timedelta(hours=6)
_trackers: set[asyncio.Task[None]] = set()
# A command typed mid-dialog (/menu, /help) is not an answer to the question.
NOT_A_COMMAND = ~F.text.startswith("/")


class EventForm(StatesGroup):
    kind = State()
    title = State()
    starts_at = State()
    stream_url = State()
    place = State()
    edit = State()


class BroadcastForm(StatesGroup):
    text = State()
    audience = State()
    district = State()
    confirm = State()
    schedule = State()


# What the officer typed lives in the database draft of each dialog, not in the FSM data.
register_dialog(DraftKind.EVENT, EventForm.kind, EventForm.title, EventForm.starts_at,
                EventForm.stream_url, EventForm.place)
register_dialog(DraftKind.EVENT_EDIT, EventForm.edit)
register_dialog(DraftKind.BROADCAST, BroadcastForm)


def _abort_markup(tr: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[press_button(tr("press.abort"), "abort")]])


@dataclass(frozen=True, slots=True)
class ProgressTracking:
    """A settings section: whether this process edits a broadcast's progress message while
    it goes out (only where this process also delivers)."""

    enabled: bool = False


def _example_time() -> str:
    tomorrow = to_local(utcnow()) + timedelta(days=1)
    return tomorrow.strftime("%d.%m.%Y") + " 18:00"


@router.callback_query(PressCB.filter(F.action == "abort"))
async def abort(query: CallbackQuery, state: FSMContext, tr: Texts, session: AsyncSession,
                actor: str) -> None:
    kind = dialog_kind(await state.get_state())
    if kind is not None and not kind.owned_by_resident:
        await drafts.discard(session, drafts.Owner.staff(actor), kind)
        await session.commit()
    await state.clear()
    await show(query, tr("press.aborted"), InlineKeyboardMarkup(inline_keyboard=[
        [menu_button(tr)]]))


# ==== events ==================================================================================
@router.message(Command("event_new"))
async def event_new(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                    actor: str) -> None:
    await events.start_draft(session, actor)
    await session.commit()  # before talking to Telegram: never hold the write lock over HTTP
    await state.clear()
    await state.set_state(EventForm.kind)
    await message.answer(tr("press.event.kind_ask"), reply_markup=InlineKeyboardMarkup(
        inline_keyboard=[[press_button(tr(f"events.kind.{kind.value}"), "ev_kind", kind.value)]
                         for kind in EventKind] + [[press_button(tr("press.abort"), "abort")]]))


@router.callback_query(StateFilter(EventForm.kind), PressCB.filter(F.action == "ev_kind"))
async def event_kind(query: CallbackQuery, callback_data: PressCB, state: FSMContext,
                     tr: Texts, session: AsyncSession, actor: str) -> None:
    await events.draft_kind(session, actor, callback_data.value)
    await session.commit()
    await state.set_state(EventForm.title)
    await show(query, tr("press.event.title_ask", limit=events.EventRules().title_max),
               _abort_markup(tr))


@router.message(StateFilter(EventForm.title), NOT_A_COMMAND)
async def event_title(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                      actor: str) -> None:
    try:
        await events.draft_title(session, actor, message.text)
    except InvalidInput as err:
        await _again(message, tr, err, "press.event.title_ask",
                     limit=events.EventRules().title_max)
        return
    await session.commit()
    await state.set_state(EventForm.starts_at)
    await message.answer(tr("press.event.time_ask", example=_example_time()),
                         reply_markup=_abort_markup(tr))


@router.message(StateFilter(EventForm.starts_at), NOT_A_COMMAND)
async def event_time(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                     actor: str) -> None:
    try:
        await events.draft_starts_at(session, actor, message.text)
    except InvalidInput as err:
        await _again(message, tr, err, "press.event.time_ask", example=_example_time())
        return
    await session.commit()
    await state.set_state(EventForm.stream_url)
    await message.answer(tr("press.event.url_ask"), reply_markup=_abort_markup(tr))


@router.message(StateFilter(EventForm.stream_url), NOT_A_COMMAND)
async def event_url(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                    actor: str) -> None:
    try:
        await events.draft_url(session, actor, message.text)
    except InvalidInput as err:
        await _again(message, tr, err, "press.event.url_ask")
        return
    await session.commit()
    await state.set_state(EventForm.place)
    await message.answer(tr("press.event.place_ask"), reply_markup=_abort_markup(tr))


@router.message(StateFilter(EventForm.place), NOT_A_COMMAND)
async def event_place(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                      actor: str, event_rules: EventRules) -> None:
    try:
        event = await events.submit_draft(session, actor, message.text, event_rules)
    except InvalidInput as err:
        await session.rollback()  # the claimed draft is there again
        if err.message_key != "events.time_past":
            await _again(message, tr, err, "press.event.place_ask")
            return
        # The start time passed while the dialog went on: ask for it again.
        await events.draft_step(session, actor, "starts_at")
        await session.commit()
        await state.set_state(EventForm.starts_at)
        await _again(message, tr, err, "press.event.time_ask", example=_example_time())
        return
    await session.commit()
    await state.clear()
    told = await events.told_count(session, event.id)
    stages = await events.planned_reminders(session, event)
    await message.answer(
        tr("press.event.created", card=Raw(event_card(tr, event)),
           told=tr("press.event.told", count=told) if told else tr("press.event.told_none"),
           reminders=events.reminders_text(tr, stages, event_rules,
                                           prefix="press.event.reminders")),
        reply_markup=_event_markup(tr, event),
    )


async def _again(message: Message, tr: Texts, err: InvalidInput, ask_key: str,
                 **ask: Any) -> None:
    """A polite reason and the same question again."""
    await message.answer(tr(err.message_key, **err.params) + "\n\n" + tr(ask_key, **ask),
                         reply_markup=_abort_markup(tr))


def _event_markup(tr: Texts, event: Event) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [press_button(tr("press.event.edit_title"), "ev_edit", "title", event.id),
         press_button(tr("press.event.edit_time"), "ev_edit", "starts_at", event.id)],
        [press_button(tr("press.event.edit_url"), "ev_edit", "stream_url", event.id),
         press_button(tr("press.event.edit_place"), "ev_edit", "place", event.id)],
        [press_button(tr("press.event.cancel_button"), "ev_cancel", id_=event.id)],
        [InlineKeyboardButton(text=tr("press.back"),
                              callback_data=EventCB(action="list").pack()), menu_button(tr)],
    ])


@router.callback_query(PressCB.filter(F.action == "ev_manage"))
async def event_manage(query: CallbackQuery, callback_data: PressCB, session: AsyncSession,
                       state: FSMContext, tr: Texts) -> None:
    await state.set_state(None)
    event = await events.get_event(session, callback_data.id)
    await show(query, event_card(tr, event), _event_markup(tr, event))


_EDIT_PROMPTS = {
    "title": "press.event.title_ask",
    "starts_at": "press.event.time_ask",
    "stream_url": "press.event.url_ask",
    "place": "press.event.place_ask",
}


def _edit_prompt(tr: Texts, field: str) -> str:
    return tr("press.event.edit_ask") + "\n" + tr(
        _EDIT_PROMPTS[field], limit=events.EventRules().title_max, example=_example_time())


@router.callback_query(PressCB.filter(F.action == "ev_edit"))
async def event_edit(query: CallbackQuery, callback_data: PressCB, session: AsyncSession,
                     state: FSMContext, tr: Texts, actor: str) -> None:
    await events.start_edit(session, actor, callback_data.id, callback_data.value)
    await session.commit()
    await state.set_state(EventForm.edit)
    await show(query, _edit_prompt(tr, callback_data.value), _abort_markup(tr))


@router.message(StateFilter(EventForm.edit), NOT_A_COMMAND)
async def event_edit_value(message: Message, state: FSMContext, tr: Texts,
                           session: AsyncSession, actor: str, event_rules: EventRules) -> None:
    field = str((await events.get_edit(session, actor)).data.get("field"))
    try:
        event = await events.submit_edit(session, actor, message.text, event_rules)
    except InvalidInput as err:
        await session.rollback()  # the claimed draft is there again
        await message.answer(tr(err.message_key, **err.params) + "\n\n"
                             + _edit_prompt(tr, field), reply_markup=_abort_markup(tr))
        return
    await session.commit()
    await state.clear()
    await message.answer(tr("press.event.updated", card=Raw(event_card(tr, event))),
                         reply_markup=_event_markup(tr, event))


@router.callback_query(PressCB.filter(F.action == "ev_cancel"))
async def event_cancel_ask(query: CallbackQuery, callback_data: PressCB, session: AsyncSession,
                           tr: Texts) -> None:
    event = await events.get_event(session, callback_data.id)
    await show(query, tr("press.event.cancel_confirm", title=event.title),
               InlineKeyboardMarkup(inline_keyboard=[
                   [press_button(tr("press.event.cancel_yes"), "ev_cancel_yes", id_=event.id)],
                   [press_button(tr("press.back"), "ev_manage", id_=event.id)],
               ]))


@router.callback_query(PressCB.filter(F.action == "ev_cancel_yes"))
async def event_cancel(query: CallbackQuery, callback_data: PressCB, session: AsyncSession,
                       tr: Texts, actor: str) -> None:
    await events.cancel_event(session, callback_data.id, actor=actor)
    await show(query, tr("press.event.cancelled_done"), InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=tr("press.back"),
                              callback_data=EventCB(action="list").pack()), menu_button(tr)]]))


# ==== broadcasts ==============================================================================
@router.message(Command("broadcast"))
async def broadcast_new(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                        actor: str, broadcast_rules: BroadcastRules) -> None:
    await broadcasts.start_draft(session, actor)
    await session.commit()  # before talking to Telegram: never hold the write lock over HTTP
    await state.clear()
    await state.set_state(BroadcastForm.text)
    await message.answer(tr("press.bc.text_ask", limit=broadcast_rules.text_max),
                         reply_markup=_abort_markup(tr))


@router.message(StateFilter(BroadcastForm.text), NOT_A_COMMAND)
async def broadcast_text(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                         actor: str, broadcast_rules: BroadcastRules) -> None:
    try:
        if message.photo:
            await broadcasts.draft_text(session, actor, message.caption or "",
                                        message.photo[-1].file_id, broadcast_rules)
        elif message.text is not None:
            await broadcasts.draft_text(session, actor, message.text, None,
                                        broadcast_rules)
        else:  # a document, sticker, video...: not something an announcement can carry
            raise InvalidInput("press.bc.photo_wrong")
    except InvalidInput as err:
        await _again(message, tr, err, "press.bc.text_ask", limit=broadcast_rules.text_max)
        return
    await session.commit()
    await state.set_state(BroadcastForm.audience)
    await message.answer(tr("press.bc.audience_ask"), reply_markup=_audience_markup(tr))


def _audience_markup(tr: Texts) -> InlineKeyboardMarkup:
    rows = [[press_button(topic_name(tr, topic), "bc_topic", topic.value)]
            for topic in subscriptions.ALL_TOPICS]
    rows.append([press_button(tr("press.bc.everyone"), "bc_topic", "")])
    rows.append([press_button(tr("press.abort"), "abort")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _district_markup(tr: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [press_button(tr("press.bc.all_districts"), "bc_all_districts")],
        [press_button(tr("press.abort"), "abort")],
    ])


@router.callback_query(StateFilter(BroadcastForm.audience, BroadcastForm.confirm),
                       PressCB.filter(F.action == "bc_topic"))
async def broadcast_topic(query: CallbackQuery, callback_data: PressCB, state: FSMContext,
                          tr: Texts, session: AsyncSession, actor: str) -> None:
    await broadcasts.draft_topic(session, actor, callback_data.value)
    await session.commit()
    await state.set_state(BroadcastForm.district)
    await show(query, tr("press.bc.district_ask"), _district_markup(tr))


@router.callback_query(StateFilter(BroadcastForm.district),
                       PressCB.filter(F.action == "bc_all_districts"))
async def broadcast_all_districts(query: CallbackQuery, state: FSMContext, tr: Texts,
                                  session: AsyncSession, actor: str) -> None:
    draft = await broadcasts.draft_district(session, actor, None, everywhere=True)
    await session.commit()
    await _summary(query, state, tr, session, actor, draft)


@router.message(StateFilter(BroadcastForm.district), NOT_A_COMMAND)
async def broadcast_district(message: Message, state: FSMContext, tr: Texts,
                             session: AsyncSession, actor: str) -> None:
    try:
        draft = await broadcasts.draft_district(session, actor, message.text)
    except InvalidInput as err:
        await message.answer(tr(err.message_key) + "\n\n" + tr("press.bc.district_ask"),
                             reply_markup=_district_markup(tr))
        return
    await session.commit()
    await _summary(message, state, tr, session, actor, draft)


def _audience_label(tr: Texts, topic: str | None, district: str | None) -> str:
    name = topic_name(tr, Topic(topic)) if topic else tr("press.bc.audience_all")
    return tr("press.bc.audience_district", topic=name, district=district) if district else name


async def _summary(event: Message | CallbackQuery, state: FSMContext, tr: Texts,
                   session: AsyncSession, actor: str, draft: Draft, prefix: str = "") -> None:
    """Step 4: audience size, preview and the choices before sending."""
    data = draft.data
    count = await broadcasts.count_audience(session, broadcasts.draft_audience(data))
    if count == 0:
        await _back_to_audience(event, state, tr, session, actor, tr("broadcasts.audience_empty"))
        return
    await state.set_state(BroadcastForm.confirm)
    scheduled = broadcasts.draft_scheduled_at(data)
    when = format_datetime(scheduled) if scheduled else tr("press.bc.when_now")
    preview = (tr("press.bc.with_photo") if data.get("photo") else "") + tr(
        "broadcasts.message", text=data.get("text", ""))
    text = prefix + tr(
        "press.bc.summary",
        audience=_audience_label(tr, data.get("topic"), data.get("district")),
        count=count,
        urgent=tr("press.bc.yes" if data.get("urgent") else "press.bc.no"),
        when=when,
        preview=Raw(preview),
    )
    # "Send" carries the draft's version: what goes out is what this summary showed.
    label = (tr("press.bc.confirm_scheduled", when=when) if scheduled
             else tr("press.bc.send_now"))
    await show(event, text, InlineKeyboardMarkup(inline_keyboard=[
        [press_button(label, "bc_send", id_=draft.version)],
        [press_button(tr("press.bc.schedule"), "bc_schedule"),
         press_button(tr("press.bc.urgent_toggle",
               value=tr("press.bc.yes" if data.get("urgent") else "press.bc.no")), "bc_urgent")],
        [press_button(tr("press.abort"), "abort")],
    ]))


async def _back_to_audience(event: Message | CallbackQuery, state: FSMContext, tr: Texts,
                            session: AsyncSession, actor: str, reason: str) -> None:
    await broadcasts.draft_step(session, actor, "audience")
    await session.commit()
    await state.set_state(BroadcastForm.audience)
    await show(event, reason + "\n\n" + tr("press.bc.audience_ask"), _audience_markup(tr))


async def _ask_schedule(event: Message | CallbackQuery, state: FSMContext, tr: Texts,
                        session: AsyncSession, actor: str, reason: str = "") -> None:
    await broadcasts.draft_step(session, actor, "schedule")
    await session.commit()
    await state.set_state(BroadcastForm.schedule)
    await show(event, reason + tr("press.bc.schedule_ask", example=_example_time()),
               _abort_markup(tr))


@router.callback_query(StateFilter(BroadcastForm.confirm), PressCB.filter(F.action == "bc_urgent"))
async def broadcast_urgent(query: CallbackQuery, state: FSMContext, tr: Texts,
                           session: AsyncSession, actor: str) -> None:
    draft = await broadcasts.draft_toggle_urgent(session, actor)
    await session.commit()
    await _summary(query, state, tr, session, actor, draft)


@router.callback_query(StateFilter(BroadcastForm.confirm),
                       PressCB.filter(F.action == "bc_schedule"))
async def broadcast_schedule(query: CallbackQuery, state: FSMContext, tr: Texts,
                             session: AsyncSession, actor: str) -> None:
    await _ask_schedule(query, state, tr, session, actor)


@router.message(StateFilter(BroadcastForm.schedule), NOT_A_COMMAND)
async def broadcast_schedule_time(message: Message, state: FSMContext, tr: Texts,
                                  session: AsyncSession, actor: str) -> None:
    try:
        when = events.parse_starts_at(message.text)
    except InvalidInput as err:
        await _again(message, tr, err, "press.bc.schedule_ask", example=_example_time())
        return
    draft = await broadcasts.draft_schedule(session, actor, when)
    await session.commit()
    await _summary(message, state, tr, session, actor, draft)


@router.callback_query(StateFilter(BroadcastForm.confirm), PressCB.filter(F.action == "bc_send"))
async def broadcast_send(query: CallbackQuery, callback_data: PressCB, state: FSMContext,
                         tr: Texts, session: AsyncSession, actor: str,
                         broadcast_rules: BroadcastRules, progress_tracking: ProgressTracking,
                         translator: Translator, bot: Bot,
                         sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Claim the draft and queue the start task; the scheduler enqueues the audience."""
    chat_id = query.message.chat.id if query.message else (query.from_user.id)
    try:
        broadcast = await broadcasts.send_draft(
            session, actor, version=callback_data.id or None, author_chat_id=str(chat_id),
            author_language=tr.language, rules=broadcast_rules)
    except Conflict as err:
        await session.rollback()
        if err.message_key != drafts.CHANGED:
            await state.clear()  # sent already (a second press, another process): nothing more
            raise  # the error handler says so politely
        await _summary(query, state, tr, session, actor,
                       await broadcasts.get_draft(session, actor), tr(err.message_key) + "\n\n")
        return
    except InvalidInput as err:
        await session.rollback()  # the claimed draft is there again
        if err.message_key == "broadcasts.time_past":
            await _ask_schedule(query, state, tr, session, actor, tr(err.message_key) + "\n\n")
        else:
            await _back_to_audience(query, state, tr, session, actor, tr(err.message_key))
        return
    await session.commit()  # the broadcast and its start task exist before anything is shown
    await state.clear()
    broadcast_id = broadcast.id
    if broadcast.scheduled_at is not None:
        count = await broadcasts.count_audience(session, broadcasts.Audience(
            Topic(broadcast.topic) if broadcast.topic else None, broadcast.district))
        await show(query, tr("press.bc.scheduled", id=broadcast_id,
                             when=format_datetime(broadcast.scheduled_at), count=count),
                   _progress_markup(tr, broadcast_id, running=True))
        return
    message = await show(query, await _progress_text(session, tr, broadcast_id),
                         _progress_markup(tr, broadcast_id, running=True))
    if message is not None and progress_tracking.enabled:
        task = asyncio.create_task(_track(bot, sessionmaker, translator, tr.language,
                                          message.chat.id, message.message_id, broadcast_id))
        _trackers.add(task)
        task.add_done_callback(_trackers.discard)


def _progress_markup(tr: Texts, broadcast_id: int, *, running: bool) -> InlineKeyboardMarkup:
    rows = []
    if running:
        rows.append([press_button(tr("press.bc.refresh"), "bc_refresh", id_=broadcast_id),
                     press_button(tr("press.bc.cancel"), "bc_cancel", id_=broadcast_id)])
    rows.append([menu_button(tr)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def _progress_text(session: AsyncSession, tr: Texts, broadcast_id: int) -> str:
    broadcast = await broadcasts.get_broadcast(session, broadcast_id)
    if broadcast.status == BroadcastStatus.SCHEDULED.value and broadcast.scheduled_at is None:
        return tr("press.bc.queued", id=broadcast_id)  # the start task has not run yet
    figures = await broadcasts.progress(session, broadcast_id)
    if _running(broadcast, figures):
        return tr("press.bc.progress", id=broadcast_id, sent=figures.sent, failed=figures.failed,
                  blocked=figures.blocked, remaining=figures.remaining, total=figures.total)
    return broadcasts.report_text(tr, broadcast, figures)


def _running(broadcast: Broadcast, figures: broadcasts.Progress) -> bool:
    if broadcast.status == BroadcastStatus.SCHEDULED.value:
        return True
    return broadcast.status == BroadcastStatus.SENDING.value and (
        not broadcast.enqueue_done or not figures.finished)


async def _track(bot: Bot, sessionmaker: async_sessionmaker[AsyncSession],
                 translator: Translator, language: str, chat_id: int, message_id: int,
                 broadcast_id: int) -> None:
    """Edit the progress message in place until the broadcast is over (cosmetic; the durable
    final report goes through the outbox)."""
    tr = translator.for_language(language)
    deadline = asyncio.get_running_loop().time() + PROGRESS_FOR_AT_MOST.total_seconds()
    last = ""
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(PROGRESS_EVERY_SECONDS)
        try:
            async with sessionmaker() as session:
                broadcast = await broadcasts.get_broadcast(session, broadcast_id)
                figures = await broadcasts.progress(session, broadcast_id)
                running = _running(broadcast, figures)
                text = await _progress_text(session, tr, broadcast_id)
            if text != last:
                await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id,
                                            reply_markup=_progress_markup(tr, broadcast_id,
                                                                          running=running))
                last = text
            if not running:
                return
        except TelegramAPIError as exc:
            log.info("progress of broadcast %s not updated: %s", broadcast_id, exc)
        except Exception:
            log.exception("progress tracking of broadcast %s stopped", broadcast_id)
            return


@router.callback_query(PressCB.filter(F.action == "bc_refresh"))
async def broadcast_refresh(query: CallbackQuery, callback_data: PressCB, session: AsyncSession,
                            tr: Texts) -> None:
    broadcast = await broadcasts.get_broadcast(session, callback_data.id)
    figures = await broadcasts.progress(session, broadcast.id)
    await show(query, await _progress_text(session, tr, broadcast.id),
               _progress_markup(tr, broadcast.id, running=_running(broadcast, figures)))


@router.callback_query(PressCB.filter(F.action == "bc_cancel"))
async def broadcast_cancel(query: CallbackQuery, callback_data: PressCB, session: AsyncSession,
                           tr: Texts, actor: str) -> None:
    figures = await broadcasts.cancel(session, callback_data.id, actor=actor)
    await show(query, tr("press.bc.cancelled", id=callback_data.id, sent=figures.sent,
                         cancelled=figures.cancelled),
               _progress_markup(tr, callback_data.id, running=False))


# ---- history --------------------------------------------------------------------------------
async def show_history(event: Message | CallbackQuery, session: AsyncSession, tr: Texts,
                       page: int) -> None:
    items, total = await broadcasts.history(session, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    if not items:
        await show(event, tr("press.bc.history_empty"),
                   InlineKeyboardMarkup(inline_keyboard=[[menu_button(tr)]]))
        return
    pages = max(1, -(-total // PAGE_SIZE))
    blocks = []
    rows: list[list[InlineKeyboardButton]] = []
    for b in items:
        figures = await broadcasts.progress(session, b.id)
        blocks.append(broadcasts.report_text(tr, b, figures) + "\n"
                      + _audience_label(tr, b.topic, b.district))
        if _running(b, figures):
            rows.append([press_button(tr("press.bc.refresh") + f" #{b.id}", "bc_refresh", id_=b.id),
                         press_button(tr("press.bc.cancel") + f" #{b.id}", "bc_cancel", id_=b.id)])
    nav = []
    if page > 0:
        nav.append(press_button(tr("events.page_prev"), "bc_history", page=page - 1))
    if page + 1 < pages:
        nav.append(press_button(tr("events.page_next"), "bc_history", page=page + 1))
    if nav:
        rows.append(nav)
    rows.append([menu_button(tr)])
    text = tr("press.bc.history_title", page=page + 1, pages=pages) + "\n\n" + "\n\n".join(blocks)
    await show(event, Raw(text), InlineKeyboardMarkup(inline_keyboard=rows))


@router.message(Command("broadcasts"))
async def broadcasts_command(message: Message, session: AsyncSession, tr: Texts) -> None:
    await show_history(message, session, tr, 0)


@router.callback_query(PressCB.filter(F.action == "bc_history"))
async def broadcasts_page(query: CallbackQuery, callback_data: PressCB, session: AsyncSession,
                          tr: Texts) -> None:
    await show_history(query, session, tr, max(callback_data.page, 0))


async def stop_trackers() -> None:
    """Cancel progress trackers (process shutdown, tests)."""
    for task in list(_trackers):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
