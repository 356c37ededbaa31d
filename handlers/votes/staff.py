"""Staff import and publish votes: a vote file sent as a document is previewed (imported in a
transaction that is rolled back), imported when staff confirm, and its sessions published
(summaries and follower notes queued through the outbox in the same transaction).

Every handler here passes `IsVotesStaff` first; whoever else presses one of these buttons
(forged, or kept from before their role was taken away) is told only staff may, and the
services check the role again before changing anything.
"""

from __future__ import annotations

import re
from dataclasses import asdict, replace
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter, or_f
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.kit.show import show
from handlers.votes import screens_staff
from handlers.votes.callbacks import (
    STAFF_CALLBACKS,
    DecisionCB,
    SessionCB,
    StaffCB,
    StaffSessionCB,
    StaffVoteCB,
)
from handlers.votes.screens_nav import StaffSection, StaffSessionAction, StaffVoteAction
from handlers.votes.support import (
    LINK_KEY,
    UPLOAD_KEY,
    IsVotesStaff,
    VotesInput,
    actor_of,
    nav,
)
from services import subscriptions
from services.accounts import Account
from services.errors import InvalidInput, NotFound, PermissionDenied
from services.i18n import Texts
from services.ids import parse_row_id
from services.models.broadcasts import Topic
from services.votes import notices, petition_links, publishing, queries
from services.votes.importer import ImportOptions, import_file
from services.votes.report import ImportReport
from services.votes.rules import MB, VotesLimits

# What a vote file is called when staff send it outside the upload step.
VOTE_FILE = re.compile(r"\.(json|csv|zip)$", re.IGNORECASE)
NOT_COMMAND = ~F.text.startswith("/")


def _pending(data: dict[str, Any]) -> dict[str, Any] | None:
    pending = data.get(UPLOAD_KEY)
    return pending if isinstance(pending, dict) and pending.get("file_id") else None


def _options(pending: dict[str, Any]) -> ImportOptions:
    stored = pending.get("options") or {}
    return ImportOptions(**{k: bool(v) for k, v in stored.items()
                            if k in ImportOptions.__dataclass_fields__})


async def _download(bot: Bot, file_id: str) -> bytes:
    try:
        buffer = await bot.download(file_id)
    except TelegramBadRequest:
        raise InvalidInput("votes.staff.download_failed") from None
    if buffer is None:
        raise InvalidInput("votes.staff.download_failed")
    return buffer.read()


async def _dry_run(sessionmaker: async_sessionmaker[AsyncSession], account: Account,
                   pending: dict[str, Any], data: bytes, limits: VotesLimits) -> ImportReport:
    """What importing would do, in a transaction of its own that is always rolled back."""
    async with sessionmaker() as dry:
        try:
            return await import_file(dry, actor_of(account), pending["name"], data,
                                     limits=limits, options=_options(pending))
        finally:
            await dry.rollback()


async def _preview(event: Message | CallbackQuery, account: Account, pending: dict[str, Any],
                   bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], tr: Texts,
                   limits: VotesLimits) -> None:
    data = await _download(bot, pending["file_id"])
    report = await _dry_run(sessionmaker, account, pending, data, limits)
    await show(event, screens_staff.preview(tr, nav, pending["name"], report,
                                            _options(pending)))


async def _show_vote(event: Message | CallbackQuery, session: AsyncSession, tr: Texts,
                     event_id: int, *, note: str | None = None) -> None:
    card = await queries.decision_card(session, event_id, include_unpublished=True)
    petition = await petition_links.linked_petition(session, card.id)
    await show(event, screens_staff.staff_vote(tr, nav, card, petition, note=note))


def _open_decision(event_id: int) -> notices.Buttons:
    packed = DecisionCB(id=event_id).pack()
    return lambda tr: [[{"text": tr("votes.btn.open_decision"), "callback": packed}]]


def _open_session(session_id: int) -> notices.Buttons:
    packed = SessionCB(id=session_id).pack()
    return lambda tr: [[{"text": tr("votes.btn.open_session"), "callback": packed}]]


def router() -> Router:
    r = Router(name="votes_staff")
    staff = IsVotesStaff()

    @r.callback_query(StaffCB.filter(F.to == StaffSection.HOME), staff)
    async def home(query: CallbackQuery, state: FSMContext, session: AsyncSession,
                   tr: Texts) -> None:
        await state.set_state(None)
        waiting = await publishing.waiting_sessions(session)
        await show(query, screens_staff.staff_home(tr, nav, waiting))

    @r.callback_query(StaffCB.filter(F.to == StaffSection.UPLOAD), staff)
    async def upload(query: CallbackQuery, state: FSMContext, tr: Texts,
                     votes_limits: VotesLimits) -> None:
        await state.set_state(VotesInput.file)
        await show(query, screens_staff.upload_prompt(tr, nav,
                                                      votes_limits.max_file_bytes // MB))

    @r.message(StateFilter(VotesInput.file), F.document, staff)
    @r.message(StateFilter(None), F.document.file_name.regexp(VOTE_FILE, mode="search"), staff)
    async def document(message: Message, state: FSMContext, bot: Bot,
                       sessionmaker: async_sessionmaker[AsyncSession], tr: Texts,
                       votes_limits: VotesLimits, account: Account) -> None:
        doc = message.document
        assert doc is not None
        max_mb = votes_limits.max_file_bytes // MB
        if doc.file_size and doc.file_size > votes_limits.max_file_bytes:
            problem = tr("votes.error.too_large", size_mb=f"{doc.file_size / MB:.1f}",
                         limit_mb=max_mb)
            await state.set_state(VotesInput.file)
            await show(message, screens_staff.upload_prompt(tr, nav, max_mb, problem=problem))
            return
        pending = {"file_id": doc.file_id, "name": doc.file_name or "upload", "options": {}}
        await state.set_state(None)
        await state.update_data({UPLOAD_KEY: pending})
        await _preview(message, account, pending, bot, sessionmaker, tr, votes_limits)

    @r.message(StateFilter(VotesInput.file), NOT_COMMAND, staff)
    async def not_a_document(message: Message, tr: Texts, votes_limits: VotesLimits) -> None:
        await show(message, screens_staff.upload_prompt(
            tr, nav, votes_limits.max_file_bytes // MB, problem=tr("votes.staff.send_document")))

    @r.message(StateFilter(None), F.document.file_name.regexp(VOTE_FILE, mode="search"))
    async def not_staff_upload(message: Message, tr: Texts) -> None:
        """A resident sent what looks like a vote file: say who may, import nothing."""
        await message.answer(tr("votes.error.not_staff"))

    @r.callback_query(StaffCB.filter(F.to.in_(set(screens_staff.OFFERS))), staff)
    async def toggle(query: CallbackQuery, callback_data: StaffCB, state: FSMContext, bot: Bot,
                     sessionmaker: async_sessionmaker[AsyncSession], tr: Texts,
                     votes_limits: VotesLimits, callback_answer: CallbackAnswer,
                     account: Account) -> None:
        pending = _pending(await state.get_data())
        if pending is None:
            callback_answer.text = tr("votes.staff.nothing_pending")
            await show(query, screens_staff.cancelled(tr, nav))
            return
        field = screens_staff.option_field(callback_data.to)
        options = _options(pending)
        options = replace(options, **{field: not getattr(options, field)})
        pending = {**pending, "options": asdict(options)}
        await state.update_data({UPLOAD_KEY: pending})
        await _preview(query, account, pending, bot, sessionmaker, tr, votes_limits)

    @r.callback_query(StaffCB.filter(F.to == StaffSection.IMPORT), staff)
    async def do_import(query: CallbackQuery, state: FSMContext, session: AsyncSession,
                        bot: Bot, tr: Texts, votes_limits: VotesLimits,
                        callback_answer: CallbackAnswer, account: Account) -> None:
        pending = _pending(await state.get_data())
        if pending is None:  # imported or cancelled already (a second press)
            callback_answer.text = tr("votes.staff.nothing_pending")
            await show(query, screens_staff.cancelled(tr, nav))
            return
        data = await _download(bot, pending["file_id"])
        await state.update_data({UPLOAD_KEY: None})
        report = await import_file(session, actor_of(account), pending["name"], data,
                                   limits=votes_limits, options=_options(pending))
        await show(query, screens_staff.imported(tr, nav, report))

    @r.callback_query(StaffCB.filter(F.to == StaffSection.CANCEL), staff)
    async def cancel(query: CallbackQuery, state: FSMContext, tr: Texts) -> None:
        await state.update_data({UPLOAD_KEY: None})
        await show(query, screens_staff.cancelled(tr, nav))

    @r.callback_query(StaffCB.filter(F.to == StaffSection.SESSIONS), staff)
    async def sessions(query: CallbackQuery, callback_data: StaffCB, session: AsyncSession,
                       tr: Texts) -> None:
        page = await queries.latest_sessions(session, page=callback_data.page,
                                             include_unpublished=True)
        await show(query, screens_staff.staff_sessions(tr, nav, page))

    @r.callback_query(StaffSessionCB.filter(F.action == StaffSessionAction.OPEN), staff)
    async def one_session(query: CallbackQuery, callback_data: StaffSessionCB,
                          session: AsyncSession, tr: Texts) -> None:
        state = await publishing.session_state(session, callback_data.id)
        await show(query, screens_staff.staff_session(tr, nav, state))

    @r.callback_query(StaffSessionCB.filter(F.action == StaffSessionAction.DECISIONS), staff)
    async def decisions(query: CallbackQuery, callback_data: StaffSessionCB,
                        session: AsyncSession, tr: Texts) -> None:
        state = await publishing.session_state(session, callback_data.id)
        page = await queries.session_decisions(session, state.id, page=callback_data.page,
                                               include_unpublished=True)
        await show(query, screens_staff.staff_decisions(tr, nav, state, page))

    @r.callback_query(StaffSessionCB.filter(F.action == StaffSessionAction.FLAGGED), staff)
    async def flagged(query: CallbackQuery, callback_data: StaffSessionCB,
                      session: AsyncSession, tr: Texts) -> None:
        state = await publishing.session_state(session, callback_data.id)
        votes = await publishing.flagged_votes(session, state.id)
        await show(query, screens_staff.flagged(tr, nav, state, votes))

    @r.callback_query(StaffSessionCB.filter(F.action == StaffSessionAction.ASK), staff)
    async def publish_ask(query: CallbackQuery, callback_data: StaffSessionCB,
                          session: AsyncSession, tr: Texts,
                          callback_answer: CallbackAnswer) -> None:
        state = await publishing.session_state(session, callback_data.id)
        if not state.can_publish:
            callback_answer.text = tr("votes.staff.cannot_publish")
            await show(query, screens_staff.staff_session(tr, nav, state))
            return
        audience = await subscriptions.subscriber_ids(session, Topic.COUNCIL_VOTES)
        await show(query, screens_staff.publish_ask(tr, nav, state, len(audience)))

    @r.callback_query(StaffSessionCB.filter(F.action == StaffSessionAction.PUBLISH), staff)
    async def publish(query: CallbackQuery, callback_data: StaffSessionCB,
                      session: AsyncSession, tr: Texts, account: Account) -> None:
        announcement = await publishing.publish_session(session, actor_of(account),
                                                        callback_data.id)
        announced = await notices.announce(session, announcement,
                                           buttons=_open_session(callback_data.id))
        state = await publishing.session_state(session, callback_data.id)
        await show(query, screens_staff.published(tr, nav, state, announced))

    @r.callback_query(StaffVoteCB.filter(F.action == StaffVoteAction.OPEN), staff)
    async def vote(query: CallbackQuery, callback_data: StaffVoteCB, state: FSMContext,
                   session: AsyncSession, tr: Texts) -> None:
        await state.set_state(None)
        await _show_vote(query, session, tr, callback_data.id)

    @r.callback_query(StaffVoteCB.filter(F.action == StaffVoteAction.CONFIRM), staff)
    async def confirm(query: CallbackQuery, callback_data: StaffVoteCB, session: AsyncSession,
                      tr: Texts, callback_answer: CallbackAnswer, account: Account) -> None:
        changed = await publishing.confirm_vote(session, actor_of(account), callback_data.id)
        callback_answer.text = tr("votes.staff.confirmed" if changed
                                  else "votes.staff.confirmed_before")
        await _show_vote(query, session, tr, callback_data.id)

    @r.callback_query(StaffVoteCB.filter(F.action == StaffVoteAction.LINK), staff)
    async def link_ask(query: CallbackQuery, callback_data: StaffVoteCB, state: FSMContext,
                       session: AsyncSession, tr: Texts) -> None:
        card = await queries.decision_card(session, callback_data.id, include_unpublished=True)
        await state.set_state(VotesInput.petition)
        await state.update_data({LINK_KEY: card.id})
        await show(query, screens_staff.link_prompt(tr, nav, card.id))

    @r.message(StateFilter(VotesInput.petition), NOT_COMMAND, staff)
    async def link_typed(message: Message, state: FSMContext, session: AsyncSession,
                         tr: Texts, account: Account) -> None:
        event_id = (await state.get_data()).get(LINK_KEY)
        if not isinstance(event_id, int):
            await state.set_state(None)
            await show(message, screens_staff.cancelled(tr, nav))
            return
        number = parse_row_id((message.text or "").strip().lstrip("№#").strip())
        problem = None if number is not None else tr("votes.staff.link_bad")
        if number is not None:
            try:
                linked = await petition_links.link_petition(
                    session, actor_of(account), event_id, number,
                    buttons=_open_decision(event_id))
            except NotFound as exc:
                problem = tr(exc.message_key, **exc.params)
        if problem is not None:
            await show(message, screens_staff.link_prompt(tr, nav, event_id, problem=problem))
            return
        await state.set_state(None)
        await _show_vote(message, session, tr, event_id,
                         note=tr("votes.staff.linked", number=linked.number or "—"))

    @r.callback_query(StaffVoteCB.filter(F.action == StaffVoteAction.UNLINK), staff)
    async def unlink(query: CallbackQuery, callback_data: StaffVoteCB, session: AsyncSession,
                     tr: Texts, callback_answer: CallbackAnswer, account: Account) -> None:
        await petition_links.unlink_petition(session, actor_of(account), callback_data.id)
        callback_answer.text = tr("votes.staff.unlinked")
        await _show_vote(query, session, tr, callback_data.id)

    @r.callback_query(or_f(*(cb.filter() for cb in STAFF_CALLBACKS)))
    async def not_staff(query: CallbackQuery) -> None:
        raise PermissionDenied("votes.error.not_staff")

    return r
