"""Residents and polls: the open and closed lists, the card (also by the `poll_<id>` link),
answering and changing the answer, the district question, and the results picture.

Every press names a poll: it is looked up again (drafts and unknown ids are "not found"),
and what the resident may do is decided by services.polls.answers, never by the button.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.core import MenuCB
from handlers.kit.aiogram_filters import DeepLink
from handlers.kit.keyboard import Keyboard
from handlers.kit.screen import Button, Screen
from handlers.kit.show import show
from handlers.polls.callbacks import RESIDENT_NAV, CardAction, DistrictCB, PollCB, PollListCB
from handlers.polls.screens import (
    Shelf,
    bits,
    card_screen,
    chart_screen,
    district_saved_screen,
    district_screen,
    mask_of,
    shelf_screen,
)
from handlers.profile import ProfileRules, on_resume, require_profile
from services.accounts import Account
from services.db import write_turn
from services.districts.residents import needs_asking, set_district
from services.errors import Conflict, DomainError, InvalidInput, NotFound
from services.i18n import Texts
from services.models import Resident
from services.polls import answers, eligibility, media
from services.polls.answers import PollView
from services.polls.eligibility import Access
from services.polls.listing import PollList, list_polls
from services.polls.rules import PollConfig

Event = Message | CallbackQuery
NAV = RESIDENT_NAV


async def view_of(session: AsyncSession, config: PollConfig, poll_id: int,
                  resident: Resident | None, *, earlier_profiles: bool = True) -> PollView:
    """The card's view; a restricted poll first takes the district from the address when the
    council's street table covers it (no need to ask then)."""
    view = await answers.poll_view(session, config.districts, poll_id, resident,
                                   earlier_profiles=earlier_profiles)
    if view.access is Access.ASK_DISTRICT and resident is not None:
        derived = config.districts.derive(resident.street, resident.building)
        if derived is not None:
            async with write_turn(session):
                await set_district(session, config.districts, resident, derived)
                await session.commit()
            view = await answers.poll_view(session, config.districts, poll_id, resident,
                                           earlier_profiles=earlier_profiles)
    return view


async def show_card(event: Event, session: AsyncSession, tr: Texts, config: PollConfig,
                    resident: Resident | None, poll_id: int, *, page: int = 0,
                    mask: int | None = None, notice: str = "") -> None:
    view = await view_of(session, config, poll_id, resident)
    await show(event, card_screen(tr, view, NAV, mask=mask, page=page, notice=notice,
                                  district_names=config.districts.names, rules=config.polls))


async def show_shelf(event: Event, session: AsyncSession, tr: Texts, config: PollConfig,
                     kind: Shelf, page: int = 0) -> None:
    listed = await list_polls(session, PollList(kind.value), page=page, rules=config.polls)
    await show(event, shelf_screen(tr, kind, listed, NAV))


def _alert(callback_answer: CallbackAnswer, tr: Texts, err: DomainError) -> None:
    callback_answer.text = tr(err.message_key, **err.params)
    callback_answer.show_alert = True


async def _reloaded(session: AsyncSession, resident_id: int | None) -> Resident | None:
    """The resident again after a rollback expired everything loaded."""
    if resident_id is None:
        return None
    return await session.get(Resident, resident_id, populate_existing=True)


# ---- lists and the card ------------------------------------------------------------------


async def section(query: CallbackQuery, state: FSMContext, session: AsyncSession, tr: Texts,
                  poll_config: PollConfig) -> None:
    await state.set_state(None)
    await show_shelf(query, session, tr, poll_config, Shelf.OPEN)


async def polls_command(message: Message, state: FSMContext, session: AsyncSession, tr: Texts,
                        poll_config: PollConfig) -> None:
    await state.set_state(None)
    await show_shelf(message, session, tr, poll_config, Shelf.OPEN)


async def shelf(query: CallbackQuery, callback_data: PollListCB, session: AsyncSession,
                tr: Texts, poll_config: PollConfig) -> None:
    await show_shelf(query, session, tr, poll_config, callback_data.kind, callback_data.page)


async def open_by_link(message: Message, link_id: int | None, state: FSMContext,
                       session: AsyncSession, tr: Texts, poll_config: PollConfig,
                       resident: Resident | None) -> None:
    """`/start poll_12` from an announcement or a shared link opens the card for anyone."""
    await state.set_state(None)
    try:
        if link_id is None:
            raise NotFound("polls.error.not_found")
        await show_card(message, session, tr, poll_config, resident, link_id)
    except NotFound:
        await show(message, Screen(tr("polls.error.not_found"), Keyboard()
                                   .row(Button(tr("polls.btn.to_polls"), NAV.shelf(Shelf.OPEN)))
                                   .menu(NAV.menu(), tr).build()))


async def open_card(query: CallbackQuery, callback_data: PollCB, session: AsyncSession,
                    tr: Texts, poll_config: PollConfig, resident: Resident | None) -> None:
    await show_card(query, session, tr, poll_config, resident, callback_data.poll_id,
                    page=callback_data.page)


async def _to_onboarding(query: CallbackQuery, state: FSMContext, tr: Texts,
                         resident: Resident | None, poll_id: int,
                         profile_rules: ProfileRules) -> None:
    """Only verified residents answer: onboarding first, then back to this poll."""
    await require_profile(query, state, resident, tr,
                          resume=f"poll:{poll_id}" if poll_id else "", profile=profile_rules)


def _selection(view: PollView, mask: int) -> list[int]:
    """Option ids of a selection mask; a position the poll does not have is a stale button."""
    positions = bits(mask)
    if any(k >= len(view.options) for k in positions):
        raise Conflict("polls.error.stale_selection")
    return [view.options[k].id for k in positions]


async def toggle(query: CallbackQuery, callback_data: PollCB, state: FSMContext,
                 session: AsyncSession, tr: Texts, poll_config: PollConfig,
                 resident: Resident | None, callback_answer: CallbackAnswer,
                 profile_rules: ProfileRules) -> None:
    """Multiple choice: a tap puts the option in or out of the selection on the card."""
    cb = callback_data
    view = await view_of(session, poll_config, cb.poll_id, resident, earlier_profiles=False)
    if view.access is Access.NOT_VERIFIED:
        await _to_onboarding(query, state, tr, resident, cb.poll_id, profile_rules)
        return
    try:
        if view.access is not Access.CAN_ANSWER:
            raise eligibility.refusal(view.access)
        if cb.version != view.poll.version:
            raise Conflict("polls.error.changed")
        option_ids = [o.id for o in view.options]
        if cb.option >= len(option_ids):
            raise Conflict("polls.error.stale_selection")
        chosen = answers.toggle(view.poll, option_ids, _selection(view, cb.mask),
                                option_ids[cb.option])
    except DomainError as err:
        _alert(callback_answer, tr, err)
        if isinstance(err, Conflict):  # the card on screen is out of date: show the real one
            await show(query, card_screen(tr, view, NAV, page=cb.page, rules=poll_config.polls,
                                          district_names=poll_config.districts.names))
        return
    mask = mask_of([k for k, o in enumerate(view.options) if o.id in chosen])
    await show(query, card_screen(tr, view, NAV, mask=mask, page=cb.page,
                                  rules=poll_config.polls))


async def answer(query: CallbackQuery, callback_data: PollCB, state: FSMContext,
                 session: AsyncSession, tr: Texts, poll_config: PollConfig,
                 resident: Resident | None, callback_answer: CallbackAnswer,
                 profile_rules: ProfileRules, account: Account) -> None:
    """Answer (or change the answer) with the options of the pressed button."""
    cb = callback_data
    answered = answers.answer_known(session, cb.poll_id, resident, bits(cb.mask),
                                    channel=account.channel, seen_version=cb.version)
    if answered is not None:  # a first answer, as most are in a rush: written, no read
        callback_answer.text = tr("polls.answered")
        if answered.poll.results_while_open:  # running results on the card: count it in
            await show_card(query, session, tr, poll_config, resident, cb.poll_id, page=cb.page)
        else:
            await show(query, card_screen(tr, answered, NAV, page=cb.page,
                                          rules=poll_config.polls))
        return
    view = await view_of(session, poll_config, cb.poll_id, resident, earlier_profiles=False)
    if view.access is Access.NOT_VERIFIED:
        await _to_onboarding(query, state, tr, resident, cb.poll_id, profile_rules)
        return
    if view.access is Access.ASK_DISTRICT:  # the district first (the card asks it)
        await show(query, card_screen(tr, view, NAV, page=cb.page,
                                      district_names=poll_config.districts.names))
        return
    resident_id = resident.id if resident is not None else None
    try:
        chosen = _selection(view, cb.mask)
        async with write_turn(session):
            outcome = await answers.answer_and_commit(
                session, poll_config.districts, cb.poll_id, resident, chosen,
                seen_version=cb.version, channel=account.channel, view=view)
    except DomainError as err:
        if isinstance(err, NotFound):
            raise
        _alert(callback_answer, tr, err)
        if isinstance(err, Conflict):
            await show_card(query, session, tr, poll_config, await _reloaded(session, resident_id),
                            cb.poll_id, page=cb.page)
        return
    callback_answer.text = tr("polls.answered" if outcome.first else
                              "polls.answer_changed" if outcome.changed else "polls.answer_same")
    if view.results is not None:  # running results on the card: count this answer in
        await show_card(query, session, tr, poll_config, resident, cb.poll_id, page=cb.page)
        return
    # Nothing else on the card changed: no need to read it all again.
    answered = replace(view, my_choices=outcome.choices, answered_before=False)
    await show(query, card_screen(tr, answered, NAV, page=cb.page, rules=poll_config.polls))


async def chart(query: CallbackQuery, callback_data: PollCB, session: AsyncSession, tr: Texts,
                poll_config: PollConfig, resident: Resident | None, account: Account) -> None:
    """The results picture of a closed poll: drawn once, uploaded once per messenger (the
    file id one messenger gave means nothing to another), then reused."""
    view = await answers.poll_view(session, poll_config.districts, callback_data.poll_id,
                                   resident)
    if view.access is not Access.CLOSED or view.results is None:
        raise Conflict("polls.error.chart_after_closing")
    ref = await media.ensure_chart(session, view.results)
    await session.commit()
    image = await media.resolve(session, ref, account.channel)
    if image is None:  # the poll was deleted in between
        raise NotFound("polls.error.not_found")
    sent = await show(query, chart_screen(tr, view.results, NAV, file_id=image.file_id,
                                          png=image.png, filename=image.filename,
                                          page=callback_data.page, rules=poll_config.polls))
    if image.file_id is None and isinstance(sent, Message) and sent.photo:
        await media.remember_upload(session, ref, account.channel, sent.photo[-1].file_id)


# ---- the district ------------------------------------------------------------------------


async def ask_district(query: CallbackQuery, callback_data: PollCB, state: FSMContext,
                       session: AsyncSession, tr: Texts, poll_config: PollConfig,
                       resident: Resident | None, profile_rules: ProfileRules) -> None:
    """"Where do you live?" from a poll's card, or with poll id 0 from anywhere else (the
    hook for /settings: `DISTRICT_SETTING`)."""
    poll_id = callback_data.poll_id
    districts: tuple[str, ...] = ()
    if poll_id:
        districts = tuple((await answers.visible_poll(session, poll_id)).districts or ())
    if not poll_config.districts.enabled:
        raise NotFound("polls.error.no_districts")
    if resident is None:
        await _to_onboarding(query, state, tr, resident, poll_id, profile_rules)
        return
    # From the card's "set my district", back goes to the card; while the card itself asks
    # (a restricted poll, never asked), back goes to the list, as on the card's question.
    asking = bool(poll_id and districts and resident.district is None
                  and needs_asking(poll_config.districts, resident))
    await show(query, district_screen(tr, poll_config.districts.names, NAV, poll_id=poll_id,
                                      page=callback_data.page, current=resident.district,
                                      districts=districts, back_to_card=not asking,
                                      districts_page=callback_data.option))


async def choose_district(query: CallbackQuery, callback_data: DistrictCB, state: FSMContext,
                          session: AsyncSession, tr: Texts, poll_config: PollConfig,
                          resident: Resident | None, callback_answer: CallbackAnswer,
                          profile_rules: ProfileRules) -> None:
    """The resident's answer to "where do you live?"; remembered on their profile."""
    cb, names = callback_data, poll_config.districts.names
    if cb.poll_id:
        await answers.visible_poll(session, cb.poll_id)
    if not names or cb.choice > len(names):
        raise InvalidInput("districts.error.unknown")
    if resident is None:
        await _to_onboarding(query, state, tr, resident, cb.poll_id, profile_rules)
        return
    async with write_turn(session):
        district = await set_district(session, poll_config.districts, resident,
                                      names[cb.choice - 1] if cb.choice else None)
        await session.commit()
    callback_answer.text = tr("polls.district.saved_short")
    if cb.poll_id:
        await show_card(query, session, tr, poll_config, resident, cb.poll_id)
    else:
        await show(query, district_saved_screen(tr, district, NAV))


async def back_to_poll(message: Message, resident: Resident, tr: Texts, arg: str,
                       **data: Any) -> None:
    """After onboarding started from a poll, bring the person back to its card."""
    try:
        poll_id = int(arg)
        await show_card(message, data["session"], tr, data["poll_config"], resident, poll_id)
    except (NotFound, ValueError):
        await message.answer(tr("polls.error.not_found"))


on_resume("poll")(back_to_poll)


def router() -> Router:
    r = Router(name="polls")
    r.callback_query.register(section, MenuCB.filter(F.section == "polls"))
    r.message.register(polls_command, Command("polls"))
    r.message.register(open_by_link, DeepLink("poll"))
    r.callback_query.register(shelf, PollListCB.filter())
    # The busiest first: each filter unpacks (validates) the data before comparing.
    r.callback_query.register(answer, PollCB.filter(F.action == CardAction.ANSWER))
    r.callback_query.register(toggle, PollCB.filter(F.action == CardAction.TOGGLE))
    r.callback_query.register(open_card, PollCB.filter(F.action == CardAction.OPEN))
    r.callback_query.register(chart, PollCB.filter(F.action == CardAction.CHART))
    r.callback_query.register(ask_district, PollCB.filter(F.action == CardAction.DISTRICT))
    r.callback_query.register(choose_district, DistrictCB.filter())
    return r
