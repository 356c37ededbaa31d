"""The resident's district: onboarding's optional last step, and the settings' district form.

Only for a council with districts (DISTRICTS). A button names a district by its position in
the configured list; a position off the list (a forged or stale button) is refused with the
reason and the same question.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.show import show
from handlers.profile import screens
from handlers.profile.callbacks import (
    ACTIONS,
    DistrictCB,
    DistrictPageCB,
    SettingsCB,
    SettingsDistrictCB,
    SettingsDistrictPageCB,
)
from handlers.profile.flow import (
    NOT_A_COMMAND,
    Onboarding,
    ask_next_step,
    proceed,
    settings_screen,
)
from handlers.profile.screens import SettingsAction
from services.districts.residents import set_district
from services.districts.rules import DistrictRules
from services.i18n import Texts
from services.models import Resident
from services.profile import ProfileRules


def _picked(districts: DistrictRules, choice: int) -> tuple[bool, str | None]:
    """(valid, the district or None for "don't know") of a button's position."""
    if not districts.enabled or choice > len(districts.names):
        return False, None
    return True, districts.names[choice - 1] if choice else None


async def district_step(query: CallbackQuery, callback_data: DistrictCB, state: FSMContext,
                        tr: Texts, session: AsyncSession, resident: Resident | None,
                        profile_rules: ProfileRules, callback_answer: CallbackAnswer,
                        **data: Any) -> None:
    message = query.message
    if not isinstance(message, Message):
        return
    if resident is None or not resident.is_complete:  # the earlier steps first
        await ask_next_step(query, state, tr, resident, profile_rules)
        return
    valid, district = _picked(profile_rules.districts, callback_data.choice)
    if not valid:
        callback_answer.text = tr("districts.error.unknown")
        if profile_rules.districts.enabled:
            await show(query, screens.district_question(
                tr, profile_rules, ACTIONS, reason=tr("districts.error.unknown")))
        return
    await set_district(session, profile_rules.districts, resident, district)
    await state.set_state(None)
    await show(query, screens.district_answered(tr, district))
    await proceed(message, state, tr, resident, profile_rules, session=session, **data)


async def district_page(query: CallbackQuery, callback_data: DistrictPageCB, state: FSMContext,
                        tr: Texts, resident: Resident | None, profile_rules: ProfileRules,
                        callback_answer: CallbackAnswer) -> None:
    """Another page of the district question."""
    if resident is None or not resident.is_complete:  # the earlier steps first
        await ask_next_step(query, state, tr, resident, profile_rules)
        return
    if not profile_rules.districts.enabled:
        callback_answer.text = tr("districts.error.unknown")
        return
    await show(query, screens.district_question(tr, profile_rules, ACTIONS,
                                                page=callback_data.page))


async def district_not_pressed(message: Message, tr: Texts, profile_rules: ProfileRules) -> None:
    await show(message, screens.district_question(
        tr, profile_rules, ACTIONS, reason=tr("onboarding.district_use_buttons")))


async def settings_form(query: CallbackQuery,
                        callback_data: SettingsCB | SettingsDistrictPageCB, tr: Texts,
                        resident: Resident | None, profile_rules: ProfileRules,
                        callback_answer: CallbackAnswer) -> None:
    """The settings' district form, from the settings (at the current district's page) or
    turned to another page."""
    districts = profile_rules.districts
    if resident is None:
        return
    if not districts.enabled:
        callback_answer.text = tr("settings.no_districts")
        return
    page = callback_data.page if isinstance(callback_data, SettingsDistrictPageCB) else None
    await show(query, screens.settings_district(tr, districts.names, resident.district, ACTIONS,
                                                page=page))


async def settings_chosen(query: CallbackQuery, callback_data: SettingsDistrictCB,
                          state: FSMContext, tr: Texts, session: AsyncSession,
                          resident: Resident | None, profile_rules: ProfileRules,
                          callback_answer: CallbackAnswer) -> None:
    districts = profile_rules.districts
    if resident is None:
        return
    valid, district = _picked(districts, callback_data.choice)
    if not valid:
        callback_answer.text = tr("districts.error.unknown")
        if districts.enabled:
            await show(query, screens.settings_district(
                tr, districts.names, resident.district, ACTIONS,
                reason=tr("districts.error.unknown")))
        return
    await set_district(session, districts, resident, district)
    await state.set_state(None)
    callback_answer.text = tr("settings.saved")
    await show(query, await settings_screen(session, tr, resident, profile_rules))


def router() -> Router:
    """Both district questions (included in the onboarding router by the declaration)."""
    r = Router(name="profile-district")
    r.callback_query.register(district_step, DistrictCB.filter())
    r.callback_query.register(district_page, DistrictPageCB.filter())
    r.message.register(district_not_pressed, StateFilter(Onboarding.district), NOT_A_COMMAND)
    r.callback_query.register(settings_form, SettingsCB.filter(F.action == SettingsAction.DISTRICT))
    r.callback_query.register(settings_chosen, SettingsDistrictCB.filter())
    r.callback_query.register(settings_form, SettingsDistrictPageCB.filter())
    return r
