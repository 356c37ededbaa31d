"""Residents look up deputies: by faction, by district, by name, the deputies of their own
district, a deputy's card and votes, following a deputy, and comparing two deputies."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.show import show
from handlers.votes import screens, screens_deputies
from handlers.votes.callbacks import CompareCB, DeputyCB, DistrictCB, FactionCB, VotesCB
from handlers.votes.screens_nav import DeputyAction, Section
from handlers.votes.support import COMPARE_KEY, NAMES_KEY, VotesInput, district_number, nav
from services.errors import InvalidInput, NotFound
from services.i18n import Texts
from services.models import Resident
from services.votes import follow, queries, stats
from services.votes.views import DeputyRef, page_of

NOT_COMMAND = ~F.text.startswith("/")


async def _deputy_ref(session: AsyncSession, deputy_id: Any) -> DeputyRef | None:
    """The deputy a stored id names (the first of a comparison), if it is one still."""
    if not isinstance(deputy_id, int):
        return None
    try:
        return await queries.deputy_of(session, deputy_id)
    except NotFound:
        return None


async def _card(event: CallbackQuery, session: AsyncSession, tr: Texts,
                resident: Resident | None, deputy_id: int) -> None:
    card = await stats.deputy_card(session, deputy_id)
    following = None
    if resident is not None:
        following = await follow.is_following(session, resident.id, deputy_id)
    await show(event, screens_deputies.deputy_card(tr, nav, card, following))


async def _names(event: Message | CallbackQuery, state: FSMContext, session: AsyncSession,
                 tr: Texts, text: str, page: int) -> None:
    found = await queries.search_deputies(session, text, page=page)
    compare_with = await _deputy_ref(session, (await state.get_data()).get(COMPARE_KEY))
    await show(event, screens_deputies.names_found(tr, nav, text, found, compare_with))


def router() -> Router:
    r = Router(name="votes_deputies")

    @r.callback_query(VotesCB.filter(F.to == Section.DEPUTIES))
    async def deputies(query: CallbackQuery, state: FSMContext, session: AsyncSession,
                       tr: Texts) -> None:
        await state.set_state(None)
        factions = await queries.factions(session)
        districts = await queries.districts(session)
        await show(query, screens_deputies.deputies_menu(tr, nav, factions, bool(districts)))

    @r.callback_query(FactionCB.filter())
    async def faction(query: CallbackQuery, callback_data: FactionCB, session: AsyncSession,
                      tr: Texts) -> None:
        line = next((f for f in await queries.factions(session) if f.id == callback_data.id),
                    None)
        if line is None:
            raise NotFound("votes.error.faction_not_found")
        page = await queries.faction_deputies(session, line.id, page=callback_data.page)
        name = tr("votes.faction.unaffiliated") if line.unaffiliated else line.name
        await show(query, screens_deputies.deputy_list(
            tr, nav, tr("votes.faction.title", name=name, count=line.deputies), page,
            lambda p: nav.faction(line.id, p), nav.section(Section.DEPUTIES)))

    @r.callback_query(VotesCB.filter(F.to == Section.DISTRICTS))
    async def districts(query: CallbackQuery, callback_data: VotesCB, session: AsyncSession,
                        tr: Texts) -> None:
        items = await queries.districts(session)
        await show(query, screens_deputies.districts(tr, nav, items, callback_data.page))

    @r.callback_query(DistrictCB.filter())
    async def district(query: CallbackQuery, callback_data: DistrictCB, session: AsyncSession,
                       tr: Texts) -> None:
        found = await queries.district_deputies(session, callback_data.number)
        if not found:
            raise NotFound("votes.error.district_not_found")
        page = page_of(found, 0, len(found))
        await show(query, screens_deputies.deputy_list(
            tr, nav, tr("votes.district.title", number=callback_data.number), page,
            lambda _p: nav.district(callback_data.number), nav.section(Section.DISTRICTS)))

    @r.callback_query(VotesCB.filter(F.to == Section.NAME_SEARCH))
    async def ask_name(query: CallbackQuery, state: FSMContext, tr: Texts) -> None:
        await state.set_state(VotesInput.name)
        await state.update_data({COMPARE_KEY: None})
        await show(query, screens_deputies.ask_name(tr, nav))

    @r.message(StateFilter(VotesInput.name), F.text, NOT_COMMAND)
    async def name_typed(message: Message, state: FSMContext, session: AsyncSession,
                         tr: Texts) -> None:
        text = message.text or ""
        try:
            await _names(message, state, session, tr, text, 0)
        except InvalidInput as exc:
            compare_with = await _deputy_ref(session, (await state.get_data()).get(COMPARE_KEY))
            await show(message, screens_deputies.ask_name(
                tr, nav, compare_with=compare_with, problem=tr(exc.message_key)))
            return
        await state.set_state(None)
        await state.update_data({NAMES_KEY: text[:200]})

    @r.message(StateFilter(VotesInput.name), NOT_COMMAND)
    async def name_not_text(message: Message, state: FSMContext, session: AsyncSession,
                            tr: Texts) -> None:
        compare_with = await _deputy_ref(session, (await state.get_data()).get(COMPARE_KEY))
        await show(message, screens_deputies.ask_name(
            tr, nav, compare_with=compare_with, problem=tr("votes.search.text_only")))

    @r.callback_query(VotesCB.filter(F.to == Section.NAMES))
    async def names_page(query: CallbackQuery, callback_data: VotesCB, state: FSMContext,
                         session: AsyncSession, tr: Texts) -> None:
        text = (await state.get_data()).get(NAMES_KEY)
        if not isinstance(text, str) or not text:
            await state.set_state(VotesInput.name)
            await show(query, screens_deputies.ask_name(tr, nav))
            return
        await _names(query, state, session, tr, text, callback_data.page)

    @r.callback_query(DeputyCB.filter(F.action == DeputyAction.CARD))
    async def card(query: CallbackQuery, callback_data: DeputyCB, session: AsyncSession,
                   tr: Texts, resident: Resident | None) -> None:
        await _card(query, session, tr, resident, callback_data.id)

    @r.callback_query(DeputyCB.filter(F.action == DeputyAction.VOTES))
    async def votes(query: CallbackQuery, callback_data: DeputyCB, session: AsyncSession,
                    tr: Texts) -> None:
        deputy = await queries.deputy_of(session, callback_data.id)
        page = await stats.deputy_votes(session, deputy.id, page=callback_data.page)
        await show(query, screens_deputies.deputy_votes(tr, nav, deputy, page))

    @r.callback_query(DeputyCB.filter(F.action.in_({DeputyAction.FOLLOW,
                                                    DeputyAction.UNFOLLOW})))
    async def following(query: CallbackQuery, callback_data: DeputyCB, session: AsyncSession,
                        tr: Texts, resident: Resident | None,
                        callback_answer: CallbackAnswer) -> None:
        if resident is None:
            await show(query, screens.need_start(tr, nav))
            return
        if callback_data.action == DeputyAction.FOLLOW:
            await follow.follow(session, resident.id, callback_data.id)
            callback_answer.text = tr("votes.follow.on")
        else:
            await follow.unfollow(session, resident.id, callback_data.id)
            callback_answer.text = tr("votes.follow.off")
        await _card(query, session, tr, resident, callback_data.id)

    @r.callback_query(DeputyCB.filter(F.action == DeputyAction.COMPARE))
    async def compare_ask(query: CallbackQuery, callback_data: DeputyCB, state: FSMContext,
                          session: AsyncSession, tr: Texts) -> None:
        deputy = await queries.deputy_of(session, callback_data.id)
        await state.set_state(VotesInput.name)
        await state.update_data({COMPARE_KEY: deputy.id})
        await show(query, screens_deputies.ask_name(tr, nav, compare_with=deputy))

    @r.callback_query(CompareCB.filter())
    async def compare(query: CallbackQuery, callback_data: CompareCB, session: AsyncSession,
                      tr: Texts) -> None:
        result = await stats.compare_deputies(session, callback_data.first_id,
                                              callback_data.second_id, page=callback_data.page)
        await show(query, screens_deputies.comparison(tr, nav, result))

    @r.callback_query(VotesCB.filter(F.to == Section.FOLLOWED))
    async def followed(query: CallbackQuery, callback_data: VotesCB, session: AsyncSession,
                       tr: Texts, resident: Resident | None) -> None:
        if resident is None:
            await show(query, screens.need_start(tr, nav))
            return
        await show(query, screens_deputies.followed(
            tr, nav, await follow.followed_by(session, resident.id), callback_data.page))

    @r.callback_query(VotesCB.filter(F.to == Section.MY_DISTRICT))
    async def my_district(query: CallbackQuery, session: AsyncSession, tr: Texts,
                          resident: Resident | None) -> None:
        if resident is None:
            await show(query, screens.need_start(tr, nav))
            return
        number = district_number(resident.district)
        found = await queries.district_deputies(session, number) if number is not None else ()
        await show(query, screens_deputies.my_district(tr, nav, resident.district, number,
                                                      found))

    return r
