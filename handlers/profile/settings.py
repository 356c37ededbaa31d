"""`/settings`: language, name and address, quiet hours, where notifications go (for a resident
on several messengers), and the way to /forget."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.core import MenuCB
from handlers.kit.show import show
from handlers.profile import screens
from handlers.profile.callbacks import ACTIONS, SettingsCB, SettingsLanguageCB
from handlers.profile.flow import Onboarding, ask_next_step, settings_screen
from handlers.profile.screens import SettingsAction
from services import profile
from services.errors import InvalidInput
from services.i18n import Texts, Translator
from services.models import Resident
from services.profile import ProfileRules


class SettingsForm(StatesGroup):
    quiet_hours = State()


def _pressed(*actions: SettingsAction) -> CallbackQueryFilter:
    return SettingsCB.filter(F.action.in_(set(actions)))


async def _need_profile(event: Message | CallbackQuery, state: FSMContext, tr: Texts,
                        profile_rules: ProfileRules) -> None:
    await show(event, screens.notice(tr, "settings.need_consent"))
    await ask_next_step(event, state, tr, None, profile_rules)


async def settings_command(message: Message, state: FSMContext, tr: Texts,
                           session: AsyncSession, resident: Resident | None,
                           profile_rules: ProfileRules) -> None:
    await state.set_state(None)
    if resident is None:
        await _need_profile(message, state, tr, profile_rules)
        return
    await show(message, await settings_screen(session, tr, resident, profile_rules))


async def settings_menu(query: CallbackQuery, state: FSMContext, tr: Texts,
                        session: AsyncSession, resident: Resident | None,
                        profile_rules: ProfileRules) -> None:
    if resident is None:
        await _need_profile(query, state, tr, profile_rules)
        return
    await show(query, await settings_screen(session, tr, resident, profile_rules))


async def choose_language(query: CallbackQuery, tr: Texts) -> None:
    await show(query, screens.settings_language(tr, ACTIONS))


async def set_language(query: CallbackQuery, callback_data: SettingsLanguageCB,
                       session: AsyncSession, resident: Resident | None,
                       translator: Translator, profile_rules: ProfileRules) -> None:
    if resident is None:
        return
    await profile.set_language(session, resident, callback_data.language)
    await show(query, await settings_screen(session, translator.for_language(resident.language),
                                            resident, profile_rules))


async def back(query: CallbackQuery, state: FSMContext, tr: Texts, session: AsyncSession,
               resident: Resident | None, profile_rules: ProfileRules) -> None:
    await state.set_state(None)
    if resident is not None:
        await show(query, await settings_screen(session, tr, resident, profile_rules))


async def toggle_channels(query: CallbackQuery, tr: Texts, session: AsyncSession,
                          resident: Resident | None, profile_rules: ProfileRules) -> None:
    """Notifications on every messenger, or only on the one the resident used last."""
    if resident is None:
        return
    await profile.set_notify_every_channel(session, resident, not resident.notify_every_channel)
    await show(query, await settings_screen(session, tr, resident, profile_rules))


async def edit_profile(query: CallbackQuery, callback_data: SettingsCB, state: FSMContext,
                       tr: Texts, resident: Resident | None) -> None:
    if resident is None or query.message is None:
        return
    await state.update_data(editing=callback_data.action.value)
    if callback_data.action is SettingsAction.NAME:
        await state.set_state(Onboarding.full_name)
        await show(query, screens.edit_question(tr, "onboarding.name_ask", ACTIONS))
    else:
        # Address is two answers (street, building); the building step finishes the edit
        # (and compares with the old address: the district follows a move).
        await state.update_data(previous_address=[resident.street, resident.building])
        await state.set_state(Onboarding.street)
        await show(query, screens.edit_question(tr, "onboarding.street_ask", ACTIONS))


async def quiet_hours(query: CallbackQuery, state: FSMContext, tr: Texts) -> None:
    await state.set_state(SettingsForm.quiet_hours)
    await show(query, screens.quiet_hours(tr, ACTIONS))


async def quiet_off(query: CallbackQuery, state: FSMContext, tr: Texts, session: AsyncSession,
                    resident: Resident | None, profile_rules: ProfileRules) -> None:
    if resident is None:
        return
    await state.set_state(None)
    await profile.set_quiet_hours(session, resident, (None, None))
    await show(query, await settings_screen(session, tr, resident, profile_rules))


async def quiet_hours_typed(message: Message, state: FSMContext, tr: Texts,
                            session: AsyncSession, resident: Resident | None,
                            profile_rules: ProfileRules) -> None:
    if resident is None:
        await state.set_state(None)
        return
    try:
        quiet = profile.parse_quiet_hours(message.text)
    except InvalidInput as err:
        await show(message, screens.again(tr, tr(err.message_key), "settings.quiet_ask"))
        return
    await profile.set_quiet_hours(session, resident, quiet)
    await state.set_state(None)
    await show(message, screens.notice(tr, "settings.saved"))
    await show(message, await settings_screen(session, tr, resident, profile_rules))


def router() -> Router:
    """The settings screens (the /forget router is included in it by the declaration)."""
    form = Router(name="settings")
    form.message.register(settings_command, Command("settings"))
    form.callback_query.register(settings_menu, MenuCB.filter(F.section == "settings"))
    form.callback_query.register(choose_language, _pressed(SettingsAction.LANGUAGE))
    form.callback_query.register(set_language, SettingsLanguageCB.filter())
    form.callback_query.register(back, _pressed(SettingsAction.BACK))
    form.callback_query.register(edit_profile, _pressed(SettingsAction.NAME,
                                                        SettingsAction.ADDRESS))
    form.callback_query.register(quiet_hours, _pressed(SettingsAction.QUIET))
    form.callback_query.register(quiet_off, _pressed(SettingsAction.QUIET_OFF))
    form.callback_query.register(toggle_channels, _pressed(SettingsAction.CHANNELS))
    form.message.register(quiet_hours_typed, StateFilter(SettingsForm.quiet_hours))
    return form
