"""`/settings`: language, name and address, quiet hours; `/forget` erases personal data."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.menu import MenuCB
from handlers.onboarding import Onboarding, ProfileRules, ask_next_step
from handlers.settings_view import SettingsCB, show_settings
from handlers.settings_view import settings_button as _button
from handlers.ui import show
from services import residents
from services.errors import InvalidInput
from services.i18n import LANGUAGES, Texts, Translator
from services.models import Resident

router = Router(name="settings")


class SettingsForm(StatesGroup):
    quiet_hours = State()


async def _need_profile(event: Message | CallbackQuery, state: FSMContext, tr: Texts,
                        profile_rules: ProfileRules) -> None:
    await show(event, tr("settings.need_consent"))
    await ask_next_step(event, state, tr, None, profile_rules)


@router.message(Command("settings"))
async def settings_command(message: Message, state: FSMContext, tr: Texts,
                           resident: Resident | None, profile_rules: ProfileRules) -> None:
    await state.set_state(None)
    if resident is None:
        await _need_profile(message, state, tr, profile_rules)
        return
    await show_settings(message, tr, resident)


@router.callback_query(MenuCB.filter(F.section == "settings"))
async def settings_menu(query: CallbackQuery, state: FSMContext, tr: Texts,
                        resident: Resident | None, profile_rules: ProfileRules) -> None:
    if resident is None:
        await _need_profile(query, state, tr, profile_rules)
        return
    await show_settings(query, tr, resident)


@router.callback_query(SettingsCB.filter(F.action == "language"))
async def choose_language(query: CallbackQuery, tr: Texts) -> None:
    labels = {"uk": "🇺🇦 Українська", "en": "🇬🇧 English"}
    await show(query, tr("settings.language_ask"), InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=labels[lang], callback_data=SettingsCB(
            action="set_language", value=lang).pack()) for lang in LANGUAGES],
        [_button(tr, "common.back", "back")],
    ]))


@router.callback_query(SettingsCB.filter(F.action == "set_language"))
async def set_language(query: CallbackQuery, callback_data: SettingsCB, session: AsyncSession,
                       resident: Resident | None, translator: Translator) -> None:
    if resident is None:
        return
    await residents.set_language(session, resident, callback_data.value)
    await show_settings(query, translator.for_language(resident.language), resident)


@router.callback_query(SettingsCB.filter(F.action == "back"))
async def back(query: CallbackQuery, state: FSMContext, tr: Texts,
               resident: Resident | None) -> None:
    await state.set_state(None)
    if resident is not None:
        await show_settings(query, tr, resident)


@router.callback_query(SettingsCB.filter(F.action.in_({"name", "address"})))
async def edit_profile(query: CallbackQuery, callback_data: SettingsCB, state: FSMContext,
                       tr: Texts, resident: Resident | None) -> None:
    if resident is None or query.message is None:
        return
    await state.update_data(editing=callback_data.action)
    cancel = InlineKeyboardMarkup(inline_keyboard=[[_button(tr, "common.cancel", "back")]])
    if callback_data.action == "name":
        await state.set_state(Onboarding.full_name)
        await show(query, tr("onboarding.name_ask"), cancel)
    else:
        # Address is two answers (street, building); the building step finishes the edit.
        await state.set_state(Onboarding.street)
        await show(query, tr("onboarding.street_ask"), cancel)


@router.callback_query(SettingsCB.filter(F.action == "quiet"))
async def quiet_hours(query: CallbackQuery, state: FSMContext, tr: Texts) -> None:
    await state.set_state(SettingsForm.quiet_hours)
    await show(query, tr("settings.quiet_ask"), InlineKeyboardMarkup(inline_keyboard=[
        [_button(tr, "settings.quiet_disable", "quiet_off")],
        [_button(tr, "common.cancel", "back")],
    ]))


@router.callback_query(SettingsCB.filter(F.action == "quiet_off"))
async def quiet_off(query: CallbackQuery, state: FSMContext, tr: Texts, session: AsyncSession,
                    resident: Resident | None) -> None:
    if resident is None:
        return
    await state.set_state(None)
    await residents.set_quiet_hours(session, resident, (None, None))
    await show_settings(query, tr, resident)


@router.message(StateFilter(SettingsForm.quiet_hours))
async def quiet_hours_typed(message: Message, state: FSMContext, tr: Texts,
                            session: AsyncSession, resident: Resident | None) -> None:
    if resident is None:
        await state.set_state(None)
        return
    try:
        quiet = residents.parse_quiet_hours(message.text)
    except InvalidInput as err:
        await message.answer(tr(err.message_key) + "\n" + tr("settings.quiet_ask"))
        return
    await residents.set_quiet_hours(session, resident, quiet)
    await state.set_state(None)
    await message.answer(tr("settings.saved"))
    await show_settings(message, tr, resident)


def _forget_markup(tr: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_button(tr, "forget.confirm", "forget_yes")],
        [_button(tr, "common.cancel", "back")],
    ])


@router.message(Command("forget"))
async def forget_command(message: Message, tr: Texts, resident: Resident | None) -> None:
    if resident is None:
        await message.answer(tr("forget.nothing"))
        return
    await message.answer(tr("forget.ask"), reply_markup=_forget_markup(tr))


@router.callback_query(SettingsCB.filter(F.action == "forget"))
async def forget_button(query: CallbackQuery, tr: Texts) -> None:
    await show(query, tr("forget.ask"), _forget_markup(tr))


@router.callback_query(SettingsCB.filter(F.action == "forget_yes"))
async def forget_confirmed(query: CallbackQuery, state: FSMContext, tr: Texts,
                           session: AsyncSession, resident: Resident | None,
                           profile_rules: ProfileRules) -> None:
    if resident is not None:
        await residents.forget(session, resident, phone_secret=profile_rules.phone_secret)
    await state.clear()
    await show(query, tr("forget.done"))
