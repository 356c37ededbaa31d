"""Polls for moderators: every poll in a list, its staff card with the live tally, editing the
texts before the first answer, closing early, and the anonymised CSV export.

The router answers only moderators (`HasRole`): to anyone else `/polls_admin` is an unknown
command and these buttons are stale, as for the other staff features. The services check
the role again, and every change is a compare-and-set on the poll's version.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.aiogram_filters import HasRole
from handlers.kit.show import show
from handlers.polls.callbacks import STAFF_NAV, PollStaffCB, StaffAction, StaffListCB
from handlers.polls.screens_staff import (
    EditPart,
    close_confirm_screen,
    edit_prompt_screen,
    staff_card_screen,
    staff_list_screen,
)
from services.db import utcnow, write_turn
from services.errors import Conflict, InvalidInput, NotFound
from services.i18n import Raw, Texts
from services.models import Role
from services.polls import export, manage
from services.polls.access import Staff
from services.polls.listing import PollList, list_polls
from services.polls.results import live_tally
from services.polls.rules import PollConfig, PollRules
from services.polls.validation import parse_options, validate_description

Event = Message | CallbackQuery
NAV = STAFF_NAV


class PollEdit(StatesGroup):
    text = State()  # the new question, description or options of `poll_edit` in the data


def staff_of(actor: str) -> Staff:
    """`telegram:12345` (the dispatcher's actor) as the services' Staff."""
    channel, _, external_id = actor.partition(":")
    return Staff(channel, external_id)


async def show_list(event: Event, session: AsyncSession, tr: Texts, config: PollConfig,
                    actor: str, page: int = 0) -> None:
    listed = await list_polls(session, PollList.STAFF, page=page, rules=config.polls,
                              staff=staff_of(actor))
    await show(event, staff_list_screen(tr, listed, NAV, utcnow()))


async def show_staff_card(event: Event, session: AsyncSession, tr: Texts, config: PollConfig,
                          actor: str, poll_id: int, notice: str = "") -> None:
    now = utcnow()
    live = await live_tally(session, staff_of(actor), poll_id, now=now)
    poll = await manage.get_poll(session, poll_id)
    options = [o.text for o in await manage.options_of(session, poll_id)]
    await show(event, staff_card_screen(tr, poll, options, live, NAV, now, rules=config.polls,
                                        notice=notice))


async def polls_admin(message: Message, state: FSMContext, session: AsyncSession, tr: Texts,
                      poll_config: PollConfig, actor: str) -> None:
    await state.set_state(None)
    await show_list(message, session, tr, poll_config, actor)


async def list_page(query: CallbackQuery, callback_data: StaffListCB, state: FSMContext,
                    session: AsyncSession, tr: Texts, poll_config: PollConfig,
                    actor: str) -> None:
    await state.set_state(None)
    await show_list(query, session, tr, poll_config, actor, callback_data.page)


async def view(query: CallbackQuery, callback_data: PollStaffCB, state: FSMContext,
               session: AsyncSession, tr: Texts, poll_config: PollConfig, actor: str) -> None:
    await state.set_state(None)
    await show_staff_card(query, session, tr, poll_config, actor, callback_data.poll_id)


async def close_ask(query: CallbackQuery, callback_data: PollStaffCB, session: AsyncSession,
                    tr: Texts) -> None:
    poll = await manage.get_poll(session, callback_data.poll_id)
    await show(query, close_confirm_screen(tr, poll, NAV))


async def close_yes(query: CallbackQuery, callback_data: PollStaffCB, session: AsyncSession,
                    tr: Texts, poll_config: PollConfig, actor: str) -> None:
    """Close now; the scheduler's next tick sends the results, exactly once."""
    async with write_turn(session):
        try:
            await manage.close_early(session, staff_of(actor), callback_data.poll_id)
        except Conflict:
            await session.rollback()
            raise
        await session.commit()
    await show_staff_card(query, session, tr, poll_config, actor, callback_data.poll_id,
                          notice=tr("polls.staff.closed_now"))


async def export_csv(query: CallbackQuery, callback_data: PollStaffCB, session: AsyncSession,
                     tr: Texts, actor: str) -> None:
    """District and option per chosen answer, no person; the export is audited."""
    name, data = await export.export_answers(
        session, staff_of(actor), callback_data.poll_id,
        header=(tr("polls.export.district"), tr("polls.export.option_number"),
                tr("polls.export.option")),
        unknown_district=tr("polls.export.unknown_district"))
    poll = await manage.get_poll(session, callback_data.poll_id)
    await session.commit()  # the audit entry stays even if sending the file fails
    if isinstance(query.message, Message):
        await query.message.answer_document(
            BufferedInputFile(data, filename=name),
            caption=tr("polls.staff.export_caption", question=poll.question, respondents=Raw(
                tr.plural("polls.results.respondents", poll.answer_count))))


async def edit_ask(query: CallbackQuery, callback_data: PollStaffCB, state: FSMContext,
                   session: AsyncSession, tr: Texts, poll_config: PollConfig) -> None:
    poll = await manage.get_poll(session, callback_data.poll_id)
    if callback_data.part is EditPart.NONE:
        raise NotFound("polls.error.not_found")
    if callback_data.version != poll.version:
        raise Conflict("polls.error.changed")
    await state.set_state(PollEdit.text)
    await state.update_data(poll_edit={"id": poll.id, "version": poll.version,
                                       "part": callback_data.part.value})
    await show(query, edit_prompt_screen(tr, poll, callback_data.part, NAV, poll_config.polls))


def _edit_fields(part: EditPart, text: str | None, rules: PollRules) -> dict[str, Any]:
    """What edit_texts changes for the typed text (checked as the creation dialog does)."""
    if text is None:
        raise InvalidInput("polls.error.not_text")
    if part is EditPart.QUESTION:
        return {"question": text}
    if part is EditPart.OPTIONS:
        return {"options": parse_options(text, rules)}
    described = validate_description(text, rules)  # "-" clears it
    return {"description": described} if described else {"clear_description": True}


async def edit_typed(message: Message, state: FSMContext, session: AsyncSession, tr: Texts,
                     poll_config: PollConfig, actor: str) -> None:
    pending = (await state.get_data()).get("poll_edit") or {}
    if not pending:
        await state.set_state(None)
        await show_list(message, session, tr, poll_config, actor)
        return
    poll_id, part = int(pending["id"]), EditPart(pending["part"])
    try:
        fields = _edit_fields(part, message.text, poll_config.polls)
        async with write_turn(session):
            try:
                await manage.edit_texts(session, poll_config.polls, staff_of(actor), poll_id,
                                        int(pending["version"]), **fields)
            except (Conflict, InvalidInput):
                await session.rollback()
                raise
            await session.commit()
    except InvalidInput as err:
        poll = await manage.get_poll(session, poll_id)
        await show(message, edit_prompt_screen(tr, poll, part, NAV, poll_config.polls,
                                               reason=tr(err.message_key, **err.params)))
        return
    except Conflict as err:  # an answer (or another moderator's edit) came first
        notice = tr(err.message_key, **err.params)
    else:
        notice = tr("polls.staff.saved")
    await state.set_state(None)
    await state.update_data(poll_edit=None)
    await show_staff_card(message, session, tr, poll_config, actor, poll_id, notice=notice)


def router() -> Router:
    r = Router(name="polls_admin")
    r.message.filter(HasRole(Role.MODERATOR))
    r.callback_query.filter(HasRole(Role.MODERATOR))
    r.message.register(polls_admin, Command("polls_admin"))
    r.message.register(edit_typed, StateFilter(PollEdit.text), ~F.text.startswith("/"))
    r.callback_query.register(list_page, StaffListCB.filter())
    r.callback_query.register(view, PollStaffCB.filter(F.action == StaffAction.VIEW))
    r.callback_query.register(close_ask, PollStaffCB.filter(F.action == StaffAction.CLOSE))
    r.callback_query.register(close_yes, PollStaffCB.filter(F.action == StaffAction.CLOSE_YES))
    r.callback_query.register(export_csv, PollStaffCB.filter(F.action == StaffAction.EXPORT))
    r.callback_query.register(edit_ask, PollStaffCB.filter(F.action == StaffAction.EDIT))
    return r
