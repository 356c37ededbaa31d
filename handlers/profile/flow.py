"""Onboarding's course: ask the first missing piece of the profile, then go back to where the
person was going (`require_profile` / `on_resume`), to the settings after an edit, or on.

Nothing about a person is stored before they consent; until then the chosen language lives in
the FSM data. A feature that needs a complete profile calls `require_profile`, and registers
with `on_resume` where to bring the person back afterwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.core import show_main_menu
from handlers.kit.screen import Screen
from handlers.kit.show import show
from handlers.profile import screens
from handlers.profile.callbacks import ACTIONS
from services import residents
from services.districts.residents import needs_asking
from services.i18n import Texts
from services.models import Resident
from services.profile import ProfileRules, ProfileStep, next_missing

# Where a button is the answer, typed text gets the reason and the same question; commands
# pass through to their handlers.
NOT_A_COMMAND = ~F.text.startswith("/")
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
    district = State()  # optional, last: only when the council has districts


STATE_OF = {
    ProfileStep.CONSENT: Onboarding.consent,
    ProfileStep.PHONE: Onboarding.phone,
    ProfileStep.FULL_NAME: Onboarding.full_name,
    ProfileStep.STREET: Onboarding.street,
    ProfileStep.BUILDING: Onboarding.building,
}


def on_resume(prefix: str) -> Callable[[ResumeHandler], ResumeHandler]:
    """Register where a finished onboarding returns to for `resume="<prefix>:<arg>"`."""

    def register(fn: ResumeHandler) -> ResumeHandler:
        _resume_handlers[prefix] = fn
        return fn

    return register


async def ask(event: Message | CallbackQuery, state: FSMContext, tr: Texts, step: ProfileStep,
              profile: ProfileRules) -> None:
    await state.set_state(STATE_OF[step])
    await show(event, screens.question(tr, step, profile, ACTIONS))


async def ask_next_step(event: Message | CallbackQuery, state: FSMContext, tr: Texts,
                        resident: Resident | None, profile: ProfileRules) -> bool:
    """Ask the first missing piece of the profile; False when nothing is missing."""
    target = event.message if isinstance(event, CallbackQuery) else event
    if not isinstance(target, Message):
        return False
    step = next_missing(resident)
    if step is None:
        return False
    await ask(event, state, tr, step, profile)
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
        await show(target, screens.notice(tr, "onboarding.profile_needed"))
    await ask_next_step(event, state, tr, resident, profile)
    return None


async def settings_screen(session: AsyncSession, tr: Texts, resident: Resident,
                          profile_rules: ProfileRules) -> Screen:
    """The settings screen; a "District" row when the council has districts, the
    notifications choice only for a resident on two messengers."""
    channels = await residents.channel_count(session, resident.id)
    return screens.settings(tr, resident, ACTIONS, channels,
                            districts=profile_rules.districts.names)


async def proceed(message: Message, state: FSMContext, tr: Texts, resident: Resident,
                  profile_rules: ProfileRules, **data: Any) -> None:
    """Ask the next missing step, or finish: back to where the person was going, or the menu."""
    stored = await state.get_data()
    if stored.get("editing") and resident.is_complete:
        await state.set_state(None)
        await state.update_data(editing=None)
        await show(message, screens.notice(tr, "settings.saved"))
        districts = profile_rules.districts
        if stored.get("editing") == "address" and needs_asking(districts, resident):
            # Moved to an address the street table does not know: where is it now?
            await show(message, screens.settings_district(tr, districts.names, None, ACTIONS))
            return
        await show(message, await settings_screen(data["session"], tr, resident,
                                                  profile_rules))
        return
    if await ask_next_step(message, state, tr, resident, profile_rules):
        return
    if needs_asking(profile_rules.districts, resident):
        await state.set_state(Onboarding.district)
        await show(message, screens.district_question(tr, profile_rules, ACTIONS))
        return
    await state.set_state(None)
    resume = stored.get("resume")
    await state.update_data(resume=None)
    await show(message, screens.without_keyboard(tr, "onboarding.done"))
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
