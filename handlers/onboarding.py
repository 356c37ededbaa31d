"""`/start` and resident onboarding: language, consent, phone, full name, address.

Nothing about a person is stored before they consent; until then the chosen language lives in
the FSM data. A feature that needs a complete profile calls `require_profile`, and registers
with `on_resume` where to bring the person back afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import F, Router
from aiogram.filters import CommandStart, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.ids import RowId
from handlers.menu import MainMenu, menu_button, show_main_menu
from handlers.settings_view import show_settings
from handlers.ui import show
from services import residents
from services.accounts import Account
from services.errors import Conflict, InvalidInput
from services.i18n import LANGUAGES, Texts, Translator
from services.models import Resident

log = logging.getLogger(__name__)
router = Router(name="onboarding")
# The plain `/start`, included after the features so their deep links (`/start petition_12`)
# are tried first.
start_router = Router(name="start")

TOTAL_STEPS = 6
ResumeHandler = Callable[..., Awaitable[Any]]
_resume_handlers: dict[str, ResumeHandler] = {}


class Onboarding(StatesGroup):
    language = State()
    consent = State()
    phone = State()
    link = State()  # the phone belongs to another profile: is it yours?
    full_name = State()
    street = State()
    building = State()


class OnboardCB(CallbackData, prefix="ob"):
    action: str
    value: str = ""


class AccountCB(CallbackData, prefix="acc"):
    """'Not you? Unlink' under the notice that an account joined the profile."""

    action: str  # unlink
    identity: RowId


@dataclass(frozen=True, slots=True)
class ProfileRules:
    """The profile feature's settings section: what the consent says, how long names may be,
    the key of the phone hashes (built once from Settings by the feature declaration)."""

    city_name: str = "Hromada"
    privacy_policy_url: str = "https://example.org/privacy"
    retention_days: int = 30
    limits: residents.Limits = field(default_factory=residents.Limits)
    phone_secret: str | None = field(default=None, repr=False)


def on_resume(prefix: str) -> Callable[[ResumeHandler], ResumeHandler]:
    """Register where a finished onboarding returns to for `resume="<prefix>:<arg>"`."""

    def register(fn: ResumeHandler) -> ResumeHandler:
        _resume_handlers[prefix] = fn
        return fn

    return register


def _language_markup() -> InlineKeyboardMarkup:
    labels = {"uk": "🇺🇦 Українська", "en": "🇬🇧 English"}
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=labels[lang],
                             callback_data=OnboardCB(action="lang", value=lang).pack())
        for lang in LANGUAGES
    ]])


def _consent_markup(tr: Texts, policy_url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=tr("onboarding.consent_policy"), url=policy_url)],
        [InlineKeyboardButton(text=tr("onboarding.consent_yes"),
                              callback_data=OnboardCB(action="consent", value="yes").pack())],
        [InlineKeyboardButton(text=tr("onboarding.consent_no"),
                              callback_data=OnboardCB(action="consent", value="no").pack())],
    ])


def _phone_markup(tr: Texts) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=tr("onboarding.phone_button"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def _step(tr: Texts, n: int) -> str:
    return tr("onboarding.step", n=n, total=TOTAL_STEPS)


async def ask_next_step(event: Message | CallbackQuery, state: FSMContext, tr: Texts,
                        resident: Resident | None, profile: ProfileRules) -> bool:
    """Ask the first missing piece of the profile; False when nothing is missing."""
    target = event.message if isinstance(event, CallbackQuery) else event
    if not isinstance(target, Message):
        return False
    if resident is None or resident.consent_at is None:
        await state.set_state(Onboarding.consent)
        text = _step(tr, 2) + "\n" + tr("onboarding.consent_text", city=profile.city_name,
                                        days=profile.retention_days)
        await show(event, text, _consent_markup(tr, profile.privacy_policy_url))
    elif not resident.is_verified:
        await state.set_state(Onboarding.phone)
        await target.answer(_step(tr, 3) + "\n" + tr("onboarding.phone_ask"),
                            reply_markup=_phone_markup(tr))
    elif not resident.full_name:
        await state.set_state(Onboarding.full_name)
        await target.answer(_step(tr, 4) + "\n" + tr("onboarding.name_ask"),
                            reply_markup=ReplyKeyboardRemove())
    elif not resident.street:
        await state.set_state(Onboarding.street)
        await target.answer(_step(tr, 5) + "\n" + tr("onboarding.street_ask"))
    elif not resident.building:
        await state.set_state(Onboarding.building)
        await target.answer(_step(tr, 6) + "\n" + tr("onboarding.building_ask"))
    else:
        return False
    return True


async def require_profile(event: Message | CallbackQuery, state: FSMContext,
                          resident: Resident | None, tr: Texts, resume: str,
                          profile: ProfileRules) -> Resident | None:
    """The resident if their profile is complete; otherwise start onboarding and return None."""
    if resident is not None and resident.is_complete:
        return resident
    await state.update_data(resume=resume)
    target = event.message if isinstance(event, CallbackQuery) else event
    if isinstance(target, Message):
        await target.answer(tr("onboarding.profile_needed"))
    await ask_next_step(event, state, tr, resident, profile)
    return None


@start_router.message(CommandStart())
async def start(message: Message, state: FSMContext, tr: Texts, resident: Resident | None,
                profile_rules: ProfileRules, main_menu: MainMenu) -> None:
    data = await state.get_data()
    await state.set_state(None)
    await state.set_data({k: v for k, v in data.items() if k == "language"})
    if resident is None:
        await state.set_state(Onboarding.language)
        await message.answer(tr("onboarding.welcome", city=profile_rules.city_name) + "\n\n"
                             + _language_question(tr), reply_markup=_language_markup())
        return
    if await ask_next_step(message, state, tr, resident, profile_rules):
        return
    await show_main_menu(message, tr, resident, main_menu)


# Anything but a button at the language or consent step gets the reason and the same question:
# before consent there is no profile, so the main menu is not the way on. Commands pass through.
NOT_A_COMMAND = ~F.text.startswith("/")


def _language_question(tr: Texts) -> str:
    return _step(tr, 1) + "\n" + tr("onboarding.language_ask")


@router.message(StateFilter(Onboarding.language), NOT_A_COMMAND)
async def language_not_chosen(message: Message, tr: Texts) -> None:
    await message.answer(tr("onboarding.language_use_buttons") + "\n\n"
                         + _language_question(tr), reply_markup=_language_markup())


@router.message(StateFilter(Onboarding.consent), NOT_A_COMMAND)
async def consent_not_answered(message: Message, state: FSMContext, tr: Texts,
                               resident: Resident | None, profile_rules: ProfileRules) -> None:
    await message.answer(tr("onboarding.consent_use_buttons"))
    await ask_next_step(message, state, tr, resident, profile_rules)


@router.callback_query(OnboardCB.filter(F.action == "lang"))
async def choose_language(query: CallbackQuery, callback_data: OnboardCB, state: FSMContext,
                          translator: Translator, resident: Resident | None,
                          session: AsyncSession, profile_rules: ProfileRules) -> None:
    language = callback_data.value if callback_data.value in LANGUAGES else "uk"
    tr = translator.for_language(language)
    await state.update_data(language=language)
    if resident is not None:
        await residents.set_language(session, resident, language)
    await ask_next_step(query, state, tr, resident, profile_rules)


@router.callback_query(OnboardCB.filter(F.action == "consent"))
async def consent(query: CallbackQuery, callback_data: OnboardCB, state: FSMContext,
                  tr: Texts, session: AsyncSession, profile_rules: ProfileRules,
                  resident: Resident | None, account: Account) -> None:
    if callback_data.value != "yes":
        await state.set_state(None)
        await show(query, tr("onboarding.consent_declined"),
                   InlineKeyboardMarkup(inline_keyboard=[[menu_button(tr)]]))
        return
    user = query.from_user
    resident = await residents.give_consent(
        session, channel=account.channel, external_id=account.external_id,
        chat_id=account.chat_id, language=tr.language, username=user.username,
    )
    await session.commit()
    await show(query, tr("onboarding.consent_thanks"))
    await ask_next_step(query, state, tr, resident, profile_rules)


@router.message(StateFilter(Onboarding.phone), F.contact)
async def phone_shared(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                       resident: Resident | None, profile_rules: ProfileRules, **data: Any) -> None:
    assert message.contact is not None and message.from_user is not None
    if resident is None:
        await ask_next_step(message, state, tr, resident, profile_rules)
        return
    contact = message.contact
    try:
        verified = await residents.verify_phone(
            session, resident, phone=contact.phone_number,
            contact_owner_id=str(contact.user_id) if contact.user_id else None,
            sender_id=str(message.from_user.id), phone_secret=profile_rules.phone_secret,
        )
    except InvalidInput as err:
        await message.answer(tr(err.message_key, **err.params), reply_markup=_phone_markup(tr))
        return
    await message.answer(tr("onboarding.phone_thanks"), reply_markup=ReplyKeyboardRemove())
    if isinstance(verified, residents.PhoneHeld):
        await state.set_state(Onboarding.link)
        await state.update_data(link={"holder": verified.holder_id, "phone": verified.phone,
                                      "masked_phone": verified.masked_phone,
                                      "masked_name": verified.masked_name})
        await _ask_link(message, tr, verified.masked_phone, verified.masked_name,
                        data["account"].channel)
        return
    await session.commit()
    await _continue(message, state, tr, verified, profile_rules, session=session, **data)


# ---- the phone already belongs to a profile: the same person, or a number handed on? -------
def _link_markup(tr: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=tr("link.yes"),
                              callback_data=OnboardCB(action="link", value="yes").pack())],
        [InlineKeyboardButton(text=tr("link.no"),
                              callback_data=OnboardCB(action="link", value="no").pack())],
    ])


async def _ask_link(message: Message, tr: Texts, masked_phone: str, masked_name: str,
                    channel: str) -> None:
    await message.answer(tr("link.ask", phone=masked_phone, name=masked_name,
                            channel=tr(f"link.channel.{channel}")),
                         reply_markup=_link_markup(tr))


@router.message(StateFilter(Onboarding.link), NOT_A_COMMAND)
async def link_not_answered(message: Message, state: FSMContext, tr: Texts,
                            resident: Resident | None, profile_rules: ProfileRules,
                            account: Account) -> None:
    pending = (await state.get_data()).get("link")
    if not pending:
        await ask_next_step(message, state, tr, resident, profile_rules)
        return
    await message.answer(tr("link.use_buttons"))
    await _ask_link(message, tr, pending["masked_phone"], pending["masked_name"],
                    account.channel)


@router.callback_query(OnboardCB.filter(F.action == "link"))
async def link_answered(query: CallbackQuery, callback_data: OnboardCB, state: FSMContext,
                        tr: Texts, session: AsyncSession, profile_rules: ProfileRules,
                        resident: Resident | None, **data: Any) -> None:
    pending = (await state.get_data()).get("link")
    if (resident is None or not pending or resident.is_verified
            or await state.get_state() != Onboarding.link.state
            or not isinstance(query.message, Message)):
        await ask_next_step(query, state, tr, resident, profile_rules)  # a stale button
        return
    await state.update_data(link=None)
    try:
        if callback_data.value == "yes":
            profile = await residents.link_account(
                session, resident, int(pending["holder"]), str(pending["phone"]),
                unlink_callback=lambda identity: AccountCB(action="unlink",
                                                           identity=identity).pack())
        else:
            profile = await residents.take_phone(
                session, resident, int(pending["holder"]), str(pending["phone"]),
                phone_secret=profile_rules.phone_secret, channel=data["account"].channel)
    except Conflict as err:  # the profile changed while the person was deciding
        await session.rollback()
        await show(query, tr(err.message_key))
        await state.set_state(Onboarding.phone)
        await query.message.answer(_step(tr, 3) + "\n" + tr("onboarding.phone_ask"),
                                   reply_markup=_phone_markup(tr))
        return
    await session.commit()
    await show(query, tr("link.linked" if callback_data.value == "yes" else "link.own_profile"))
    await _continue(query.message, state, tr, profile, profile_rules, session=session, **data)


@router.callback_query(AccountCB.filter(F.action == "unlink"))
async def unlink(query: CallbackQuery, callback_data: AccountCB, session: AsyncSession,
                 tr: Texts, resident: Resident | None, account: Account) -> None:
    """The profile's owner says a newly linked account is not theirs: it loses access."""
    done = resident is not None and await residents.unlink_account(
        session, resident, callback_data.identity,
        presser=(account.channel, account.external_id))
    await show(query, tr("link.unlinked" if done else "link.unlink_gone"))


@router.message(StateFilter(Onboarding.phone))
async def phone_not_contact(message: Message, tr: Texts) -> None:
    # A typed number cannot be checked; a sticker or photo is not a number at all.
    reason = "onboarding.phone_use_button" if message.text else "onboarding.phone_not_contact"
    await message.answer(tr(reason) + "\n" + tr("onboarding.phone_ask"),
                         reply_markup=_phone_markup(tr))


@router.message(StateFilter(Onboarding.full_name))
async def full_name(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                    resident: Resident | None, profile_rules: ProfileRules, **data: Any) -> None:
    if resident is None:
        await ask_next_step(message, state, tr, resident, profile_rules)
        return
    try:
        await residents.set_full_name(session, resident, message.text, profile_rules.limits)
    except InvalidInput as err:
        await message.answer(tr(err.message_key, **err.params) + "\n" + tr("onboarding.name_ask"))
        return
    await _continue(message, state, tr, resident, profile_rules, session=session, **data)


@router.message(StateFilter(Onboarding.street))
async def street(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                 resident: Resident | None, profile_rules: ProfileRules, **data: Any) -> None:
    if resident is None:
        await ask_next_step(message, state, tr, resident, profile_rules)
        return
    try:
        value = residents.validate_street(message.text, profile_rules.limits)
    except InvalidInput as err:
        await message.answer(tr(err.message_key, **err.params) + "\n" + tr("onboarding.street_ask"))
        return
    await residents.set_address(session, resident, value, None)
    await _continue(message, state, tr, resident, profile_rules, session=session, **data)


@router.message(StateFilter(Onboarding.building))
async def building(message: Message, state: FSMContext, tr: Texts, session: AsyncSession,
                   resident: Resident | None, profile_rules: ProfileRules, **data: Any) -> None:
    if resident is None or not resident.street:
        await ask_next_step(message, state, tr, resident, profile_rules)
        return
    try:
        value = residents.validate_building(message.text)
    except InvalidInput as err:
        await message.answer(
            tr(err.message_key, **err.params) + "\n" + tr("onboarding.building_ask")
        )
        return
    await residents.set_address(session, resident, resident.street, value)
    await _continue(message, state, tr, resident, profile_rules, session=session, **data)


async def _continue(message: Message, state: FSMContext, tr: Texts, resident: Resident,
                    profile_rules: ProfileRules, **data: Any) -> None:
    """Ask the next missing step, or finish: back to where the person was going, or the menu."""
    stored = await state.get_data()
    editing = stored.get("editing")
    if editing and resident.is_complete:
        await state.set_state(None)
        await state.update_data(editing=None)
        await message.answer(tr("settings.saved"))
        await show_settings(message, tr, resident)
        return
    if await ask_next_step(message, state, tr, resident, profile_rules):
        return
    await state.set_state(None)
    resume = stored.get("resume")
    await state.update_data(resume=None)
    await message.answer(tr("onboarding.done"), reply_markup=ReplyKeyboardRemove())
    session = data.get("session")
    if session is not None:
        await session.commit()
    if resume:
        prefix, _, arg = str(resume).partition(":")
        handler = _resume_handlers.get(prefix)
        if handler is not None:
            await handler(message, resident=resident, tr=tr, arg=arg, state=state,
                          profile_rules=profile_rules, **data)
            return
    await _after_onboarding(message, tr, resident, profile_rules, **data)


async def _after_onboarding(message: Message, tr: Texts, resident: Resident,
                            profile_rules: ProfileRules, **data: Any) -> None:
    handler = _resume_handlers.get("onboarded")
    if handler is not None:  # e.g. offering popular subscription topics
        await handler(message, resident=resident, tr=tr, arg="", profile_rules=profile_rules,
                      **data)
        return
    await show_main_menu(message, tr, resident, data["main_menu"])


__all__ = ["AccountCB", "Onboarding", "ProfileRules", "on_resume", "require_profile", "router",
           "start_router"]
