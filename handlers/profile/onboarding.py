"""`/start` and onboarding's steps: language, consent, phone, full name, street, building.

Anything but a button at the language or consent step gets the reason and the same question:
before consent there is no profile, so the main menu is not the way on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import F, Router
from aiogram.filters import CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.core import MainMenu, show_main_menu
from handlers.kit.show import show
from handlers.profile import linking, screens
from handlers.profile.callbacks import ACTIONS, ConsentCB, LanguageCB
from handlers.profile.flow import NOT_A_COMMAND, Onboarding, ask_next_step, proceed
from handlers.profile.screens import Reply
from services import profile, residents
from services.accounts import Account
from services.districts.residents import address_changed
from services.errors import InvalidInput
from services.i18n import Texts, Translator
from services.models import Channel, Resident
from services.profile import ProfileRules

Handler = Callable[..., Awaitable[None]]


async def start(message: Message, state: FSMContext, tr: Texts, resident: Resident | None,
                profile_rules: ProfileRules, main_menu: MainMenu) -> None:
    data = await state.get_data()
    await state.set_state(None)
    await state.set_data({k: v for k, v in data.items() if k == "language"})
    if resident is None:
        await state.set_state(Onboarding.language)
        await show(message, screens.welcome(tr, profile_rules, ACTIONS))
        return
    if await ask_next_step(message, state, tr, resident, profile_rules):
        return
    await show_main_menu(message, tr, resident, main_menu)


async def language_not_chosen(message: Message, tr: Texts, profile_rules: ProfileRules) -> None:
    await show(message, screens.language_again(tr, profile_rules, ACTIONS))


async def consent_not_answered(message: Message, state: FSMContext, tr: Texts,
                               resident: Resident | None, profile_rules: ProfileRules) -> None:
    await show(message, screens.notice(tr, "onboarding.consent_use_buttons"))
    await ask_next_step(message, state, tr, resident, profile_rules)


async def choose_language(query: CallbackQuery, callback_data: LanguageCB, state: FSMContext,
                          translator: Translator, resident: Resident | None,
                          session: AsyncSession, profile_rules: ProfileRules) -> None:
    language = callback_data.language
    tr = translator.for_language(language)
    await state.update_data(language=language)
    if resident is not None:
        await profile.set_language(session, resident, language)
    await ask_next_step(query, state, tr, resident, profile_rules)


async def consent(query: CallbackQuery, callback_data: ConsentCB, state: FSMContext,
                  tr: Texts, session: AsyncSession, profile_rules: ProfileRules,
                  resident: Resident | None, account: Account) -> None:
    if callback_data.reply is not Reply.YES:
        await state.set_state(None)
        await show(query, screens.consent_declined(tr, ACTIONS))
        return
    user = query.from_user
    resident = await residents.give_consent(
        session, channel=account.channel, external_id=account.external_id,
        chat_id=account.chat_id, language=tr.language, username=user.username,
    )
    await session.commit()
    await show(query, screens.notice(tr, "onboarding.consent_thanks"))
    await ask_next_step(query, state, tr, resident, profile_rules)


async def phone_shared(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                       resident: Resident | None, profile_rules: ProfileRules, **data: Any) -> None:
    assert message.contact is not None and message.from_user is not None
    if resident is None:
        await ask_next_step(message, state, tr, resident, profile_rules)
        return
    contact = message.contact
    try:
        verified = await profile.verify_phone(
            session, resident, phone=contact.phone_number,
            contact_owner_id=str(contact.user_id) if contact.user_id else None,
            sender_id=str(message.from_user.id), phone_secret=profile_rules.phone_secret,
        )
    except InvalidInput as err:
        await show(message, screens.phone_request(tr, tr(err.message_key, **err.params)))
        return
    await show(message, screens.without_keyboard(tr, "onboarding.phone_thanks"))
    if isinstance(verified, profile.PhoneHeld):
        await linking.offer(message, state, tr, verified, data["account"])
        return
    await session.commit()
    await proceed(message, state, tr, verified, profile_rules, session=session, **data)


async def phone_not_contact(message: Message, tr: Texts, account: Account) -> None:
    """A typed number cannot be checked (it joins nobody: whoever typed someone's number
    would take over their profile); a sticker or photo is not a number at all. Viber for
    computers has no share-phone button (a press there sends only the button's text): the
    way is the button in Viber on the phone."""
    reason = "onboarding.phone_not_contact"
    if message.text:
        reason = ("onboarding.phone_use_app" if account.channel == Channel.VIBER
                  else "onboarding.phone_use_button")
    await show(message, screens.phone_request(
        tr, tr(reason) + "\n" + tr("onboarding.phone_ask")))


# The typed steps: each stores its answer (or raises InvalidInput before writing anything).
Store = Callable[[AsyncSession, Resident, str | None, ProfileRules], Awaitable[object]]


async def _store_name(session: AsyncSession, resident: Resident, text: str | None,
                      rules: ProfileRules) -> object:
    return await profile.set_full_name(session, resident, text, rules.limits)


async def _store_street(session: AsyncSession, resident: Resident, text: str | None,
                        rules: ProfileRules) -> object:
    street = profile.validate_street(text, rules.limits)
    return await profile.set_address(session, resident, street, None)


async def _store_building(session: AsyncSession, resident: Resident, text: str | None,
                          _rules: ProfileRules) -> object:
    building = profile.validate_building(text)
    return await profile.set_address(session, resident, resident.street or "", building)


async def _district_follows(message: Message, state: FSMContext, tr: Texts,
                            session: AsyncSession, resident: Resident,
                            rules: ProfileRules) -> None:
    """After the building: the district follows the address when the street table covers
    it; a move to an address it does not cover makes the district unknown (asked anew)."""
    districts = rules.districts
    if not districts.enabled:
        return
    previous = (await state.get_data()).get("previous_address") or (None, None)
    await state.update_data(previous_address=None)
    derived = districts.derive(resident.street, resident.building)
    await address_changed(session, districts, resident, *previous)
    if derived is not None:
        await show(message, screens.district_answered(tr, derived, derived=True))


Then = Callable[[Message, FSMContext, Texts, AsyncSession, Resident, ProfileRules],
                Awaitable[None]]


def typed_step(store: Store, question_key: str, *, after_street: bool = False,
               then: Then | None = None) -> Handler:
    """The handler of a typed answer: stored (then `then`), then the next step; or the reason
    and the same question. Without the profile (or, for the building, its street) the step is
    not due."""

    async def answered(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                       resident: Resident | None, profile_rules: ProfileRules,
                       **data: Any) -> None:
        if resident is None or (after_street and not resident.street):
            await ask_next_step(message, state, tr, resident, profile_rules)
            return
        try:
            await store(session, resident, message.text, profile_rules)
        except InvalidInput as err:
            await show(message, screens.again(tr, tr(err.message_key, **err.params),
                                              question_key))
            return
        if then is not None:
            await then(message, state, tr, session, resident, profile_rules)
        await proceed(message, state, tr, resident, profile_rules, session=session, **data)

    return answered


def router() -> Router:
    """Onboarding's steps (the account-linking question is a router of its own)."""
    steps = Router(name="onboarding")
    steps.message.register(language_not_chosen, StateFilter(Onboarding.language), NOT_A_COMMAND)
    steps.message.register(consent_not_answered, StateFilter(Onboarding.consent), NOT_A_COMMAND)
    steps.callback_query.register(choose_language, LanguageCB.filter())
    steps.callback_query.register(consent, ConsentCB.filter())
    steps.message.register(phone_shared, StateFilter(Onboarding.phone), F.contact)
    steps.message.register(phone_not_contact, StateFilter(Onboarding.phone))
    steps.message.register(typed_step(_store_name, "onboarding.name_ask"),
                           StateFilter(Onboarding.full_name))
    steps.message.register(typed_step(_store_street, "onboarding.street_ask"),
                           StateFilter(Onboarding.street))
    steps.message.register(typed_step(_store_building, "onboarding.building_ask",
                                      after_street=True, then=_district_follows),
                           StateFilter(Onboarding.building))
    return steps


def start_router() -> Router:
    """The plain `/start`, included after the features so their deep links
    (`/start petition_12`) are tried first."""
    plain = Router(name="start")
    plain.message.register(start, CommandStart())
    return plain
