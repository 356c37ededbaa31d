"""E-petitions for residents on Telegram: the section, lists, search, a card, signing and
withdrawing, the card's deep link. Screens come from handlers/petitions/screens.py."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.core import MenuCB
from handlers.kit.aiogram_filters import DeepLink
from handlers.kit.show import show
from handlers.petitions import screens, sharing
from handlers.petitions.actions import CardAction
from handlers.petitions.callbacks import RESIDENT_ACTIONS as ACTIONS
from handlers.petitions.callbacks import PetCB, PetListCB, PetSearchCB
from handlers.profile import ProfileRules, on_resume, require_profile
from services import petitions
from services.accounts import Account
from services.db import write_turn
from services.errors import Conflict, NotFound
from services.i18n import Texts
from services.models import Channel, Resident
from services.petitions import ListKind, PetitionRules

SEARCH_KEPT = 500
NOT_COMMAND = ~F.text.startswith("/")
# After onboarding started from a card's "sign", onboarding brings the person back here.
RESUME = "petition"
# The search button of section screens sent before search had its own button family.
OLD_SEARCH_BUTTON = "pl:ask:0"


class PetitionSearch(StatesGroup):
    query = State()


Event = Message | CallbackQuery


def _viewer(resident: Resident | None) -> int | None:
    return resident.id if resident else None


async def show_card(event: Event, session: AsyncSession, tr: Texts, viewer_id: int | None,
                    petition_id: int, *, back: ListKind | None = None, page: int = 0) -> None:
    view = await petitions.card(session, petition_id, viewer_id)
    await show(event, screens.card_screen(tr, view, ACTIONS, back, page))


async def show_list(event: Event, session: AsyncSession, tr: Texts, resident: Resident | None,
                    kind: ListKind, page: int, query: str | None = None) -> None:
    result = await petitions.list_petitions(session, kind, page=page,
                                            viewer_id=_viewer(resident), query=query)
    await show(event, screens.list_screen(tr, kind, result, ACTIONS, query))


# ---- the section, lists and search --------------------------------------------------------


async def section(query: CallbackQuery, state: FSMContext, tr: Texts,
                  petition_rules: PetitionRules) -> None:
    await state.set_state(None)
    await show(query, screens.section_screen(tr, petition_rules, ACTIONS))


async def ask_search(query: CallbackQuery, state: FSMContext, tr: Texts) -> None:
    await state.set_state(PetitionSearch.query)
    await show(query, screens.search_screen(tr, ACTIONS))


async def search_typed(message: Message, state: FSMContext, session: AsyncSession, tr: Texts,
                       resident: Resident | None) -> None:
    if not petitions.search_words(message.text):
        await show(message, screens.search_again_screen(tr, "petition.error.search_empty"))
        return
    # Only the first words are searched for; the rest need not sit in the dialog state.
    query = (message.text or "")[:SEARCH_KEPT]
    await state.set_state(None)
    await state.update_data(petition_query=query)
    await show_list(message, session, tr, resident, ListKind.SEARCH, 0, query)


async def search_not_text(message: Message, tr: Texts) -> None:
    await show(message, screens.search_again_screen(tr, "petition.error.not_text"))


async def list_page(query: CallbackQuery, callback_data: PetListCB, state: FSMContext,
                    session: AsyncSession, tr: Texts, resident: Resident | None) -> None:
    kind = callback_data.kind
    await state.set_state(None)
    search: str | None = None
    if kind == ListKind.SEARCH:
        search = (await state.get_data()).get("petition_query")
        if not search:
            await ask_search(query, state, tr)
            return
    await show_list(query, session, tr, resident, kind, callback_data.page, search)


# ---- the card: open, sign, withdraw, deep link --------------------------------------------


async def open_by_link(message: Message, link_id: int | None, state: FSMContext,
                       session: AsyncSession, tr: Texts, resident: Resident | None) -> None:
    """A shared link opens the card for anyone, even someone who never used the bot."""
    await state.set_state(None)
    try:
        if link_id is None:
            raise NotFound("petition.error.not_found")
        await show_card(message, session, tr, _viewer(resident), link_id)
    except NotFound:
        await show(message, screens.not_found_screen(tr, ACTIONS))


async def open_card(query: CallbackQuery, callback_data: PetCB, session: AsyncSession,
                    tr: Texts, resident: Resident | None) -> None:
    await show_card(query, session, tr, _viewer(resident), callback_data.id,
                    back=callback_data.kind, page=callback_data.page)


async def sign(query: CallbackQuery, callback_data: PetCB, state: FSMContext,
               session: AsyncSession, petition_rules: PetitionRules, tr: Texts,
               resident: Resident | None, callback_answer: CallbackAnswer,
               profile_rules: ProfileRules, account: Account) -> None:
    if resident is None or not resident.is_complete:
        # A stale button for a removed petition gets a clear message before any onboarding.
        await petitions.card(session, callback_data.id, _viewer(resident))
    ready = await require_profile(query, state, resident, tr,
                                  resume=f"{RESUME}:{callback_data.id}",
                                  profile=profile_rules)
    if ready is None:
        return
    viewer_id = ready.id  # read now: a rollback below expires the loaded objects
    channel = Channel(account.channel)
    try:
        # Most signatures of a rush at once, the rest (and any Conflict) in the write turn.
        result = petitions.sign_at_once(session, callback_data.id, ready, channel=channel)
        if result is None:
            async with write_turn(session):
                result = await petitions.sign_and_commit(session, petition_rules,
                                                         callback_data.id, ready, channel=channel)
    except Conflict as err:
        callback_answer.text = tr(err.message_key, **err.params)
        callback_answer.show_alert = True
        await show_card(query, session, tr, viewer_id, callback_data.id,
                        back=callback_data.kind, page=callback_data.page)
        return
    callback_answer.text = tr("petition.signed" if result.signed else "petition.already_signed")
    # The signing read the card already: shown as it is now, with no second read.
    await show(query, screens.card_screen(tr, result.card, ACTIONS, callback_data.kind,
                                          callback_data.page))


async def withdraw(query: CallbackQuery, callback_data: PetCB, session: AsyncSession,
                   tr: Texts, resident: Resident | None, callback_answer: CallbackAnswer) -> None:
    if resident is None:
        raise NotFound("petition.error.not_signed")
    viewer_id = resident.id  # read now: a rollback below expires the loaded objects
    try:
        await petitions.withdraw(session, callback_data.id, viewer_id)
    except Conflict as err:
        await session.rollback()
        callback_answer.text = tr(err.message_key, **err.params)
        callback_answer.show_alert = True
    else:
        await session.commit()
        callback_answer.text = tr("petition.withdrawn")
    await show_card(query, session, tr, viewer_id, callback_data.id,
                    back=callback_data.kind, page=callback_data.page)


@on_resume(RESUME)
async def back_to_petition(message: Message, resident: Resident, tr: Texts, arg: str,
                           **data: Any) -> None:
    """After onboarding started from a card, bring the person back to that card."""
    session: AsyncSession = data["session"]
    try:
        await show_card(message, session, tr, resident.id, int(arg))
    except (NotFound, ValueError):
        await message.answer(tr("petition.error.not_found"))


def router() -> Router:
    """The residents' routes; sharing (inline mode) comes along as a sub-router."""
    r = Router(name="petitions")
    r.callback_query.register(section, MenuCB.filter(F.section == "petitions"))
    r.callback_query.register(ask_search, PetSearchCB.filter())
    r.callback_query.register(ask_search, F.data == OLD_SEARCH_BUTTON)
    r.message.register(search_typed, StateFilter(PetitionSearch.query), F.text, NOT_COMMAND)
    r.message.register(search_not_text, StateFilter(PetitionSearch.query), NOT_COMMAND)
    r.callback_query.register(list_page, PetListCB.filter())
    r.message.register(open_by_link, DeepLink(petitions.LINK_KIND))
    r.callback_query.register(open_card, PetCB.filter(F.action == CardAction.OPEN))
    r.callback_query.register(sign, PetCB.filter(F.action == CardAction.SIGN))
    r.callback_query.register(withdraw, PetCB.filter(F.action == CardAction.WITHDRAW))
    r.include_router(sharing.router())
    return r
