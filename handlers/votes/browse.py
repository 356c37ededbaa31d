"""Residents browse the votes: the section, published sessions, a session's votes, a decision
card and its roll call, decisions found by words, and the "council votes" notifications."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.core import MenuCB
from handlers.kit.show import show
from handlers.votes import screens
from handlers.votes.callbacks import DecisionCB, RollCB, SessionCB, VotesCB
from handlers.votes.screens_nav import Section
from handlers.votes.support import QUERY_KEY, VotesInput, is_staff, nav
from services import subscriptions
from services.errors import InvalidInput, NotFound
from services.i18n import Texts
from services.models import Resident, Role
from services.models.broadcasts import Topic
from services.votes import follow, petition_links, publishing, queries
from services.votes.publishing import SessionState

NOT_COMMAND = ~F.text.startswith("/")


async def home_view(session: AsyncSession, resident: Resident | None,
                    roles: frozenset[Role]) -> screens.HomeView:
    latest = await queries.latest_sessions(session, page_size=1)
    subscribed = followed = None
    if resident is not None:
        subscribed = Topic.COUNCIL_VOTES in await subscriptions.topics_of(session, resident.id)
        followed = len(await follow.followed_by(session, resident.id))
    return screens.HomeView(
        sessions=latest.total, latest=latest.items[0] if latest.items else None,
        subscribed=subscribed, followed=followed or 0,
        has_my_district=resident is not None and resident.district is not None,
        is_staff=is_staff(roles))


async def show_home(event: Message | CallbackQuery, session: AsyncSession, tr: Texts,
                    resident: Resident | None, roles: frozenset[Role]) -> None:
    await show(event, screens.home(tr, nav, await home_view(session, resident, roles)))


async def published_session(session: AsyncSession, session_id: int) -> SessionState:
    """The session, if residents may see it: an unpublished one is "not found" to them."""
    state = await publishing.session_state(session, session_id)
    if not state.published:
        raise NotFound("votes.error.session_not_found")
    return state


def router() -> Router:
    r = Router(name="votes")

    @r.message(Command("votes"))
    async def votes_command(message: Message, state: FSMContext, session: AsyncSession,
                            tr: Texts, resident: Resident | None,
                            roles: frozenset[Role]) -> None:
        await state.set_state(None)
        await show_home(message, session, tr, resident, roles)

    @r.callback_query(MenuCB.filter(F.section == "votes"))
    @r.callback_query(VotesCB.filter(F.to == Section.HOME))
    async def home(query: CallbackQuery, state: FSMContext, session: AsyncSession, tr: Texts,
                   resident: Resident | None, roles: frozenset[Role]) -> None:
        await state.set_state(None)
        await show_home(query, session, tr, resident, roles)

    @r.callback_query(VotesCB.filter(F.to == Section.SESSIONS))
    async def sessions(query: CallbackQuery, callback_data: VotesCB, session: AsyncSession,
                       tr: Texts) -> None:
        page = await queries.latest_sessions(session, page=callback_data.page)
        await show(query, screens.sessions(tr, nav, page))

    @r.callback_query(SessionCB.filter())
    async def one_session(query: CallbackQuery, callback_data: SessionCB,
                          session: AsyncSession, tr: Texts) -> None:
        state = await published_session(session, callback_data.id)
        page = await queries.session_decisions(session, state.id, page=callback_data.page)
        await show(query, screens.session(tr, nav, state, page))

    @r.callback_query(DecisionCB.filter())
    async def decision(query: CallbackQuery, callback_data: DecisionCB, session: AsyncSession,
                       tr: Texts) -> None:
        card = await queries.decision_card(session, callback_data.id)
        petition = await petition_links.linked_petition(session, card.id)
        await show(query, screens.decision(tr, nav, card, petition))

    @r.callback_query(RollCB.filter())
    async def roll_call(query: CallbackQuery, callback_data: RollCB, session: AsyncSession,
                        tr: Texts) -> None:
        card = await queries.decision_card(session, callback_data.id)
        await show(query, screens.roll_call(tr, nav, card, callback_data.value,
                                             callback_data.page))

    @r.callback_query(VotesCB.filter(F.to == Section.SEARCH))
    async def ask_words(query: CallbackQuery, state: FSMContext, tr: Texts) -> None:
        await state.set_state(VotesInput.words)
        await show(query, screens.ask_words(tr, nav))

    @r.message(StateFilter(VotesInput.words), F.text, NOT_COMMAND)
    async def words_typed(message: Message, state: FSMContext, session: AsyncSession,
                          tr: Texts) -> None:
        text = message.text or ""
        try:
            page = await queries.search_decisions(session, text)
        except InvalidInput as exc:
            await show(message, screens.ask_words(tr, nav, problem=tr(exc.message_key)))
            return
        await state.set_state(None)
        await state.update_data({QUERY_KEY: text[:200]})
        await show(message, screens.found(tr, nav, text, page))

    @r.message(StateFilter(VotesInput.words), NOT_COMMAND)
    async def words_not_text(message: Message, tr: Texts) -> None:
        await show(message, screens.ask_words(tr, nav, problem=tr("votes.search.text_only")))

    @r.callback_query(VotesCB.filter(F.to == Section.RESULTS))
    async def results(query: CallbackQuery, callback_data: VotesCB, state: FSMContext,
                      session: AsyncSession, tr: Texts) -> None:
        text = (await state.get_data()).get(QUERY_KEY)
        if not isinstance(text, str) or not text:
            await state.set_state(VotesInput.words)
            await show(query, screens.ask_words(tr, nav))
            return
        page = await queries.search_decisions(session, text, page=callback_data.page)
        await show(query, screens.found(tr, nav, text, page))

    @r.callback_query(VotesCB.filter(F.to == Section.NOTIFY))
    async def notifications(query: CallbackQuery, session: AsyncSession, tr: Texts,
                            resident: Resident | None, roles: frozenset[Role],
                            callback_answer: CallbackAnswer) -> None:
        if resident is None:
            await show(query, screens.need_start(tr, nav))
            return
        on = await subscriptions.toggle(session, resident.id, Topic.COUNCIL_VOTES)
        callback_answer.text = tr("votes.notify.on" if on else "votes.notify.off")
        await show_home(query, session, tr, resident, roles)

    return r
