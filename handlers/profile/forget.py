"""`/forget`: erase what identifies the person, after one confirmation."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.show import show
from handlers.profile import screens
from handlers.profile.callbacks import ACTIONS, SettingsCB
from handlers.profile.screens import SettingsAction
from services import profile
from services.i18n import Texts
from services.models import Resident
from services.profile import ProfileRules


async def forget_command(message: Message, tr: Texts, resident: Resident | None) -> None:
    if resident is None:
        await show(message, screens.notice(tr, "forget.nothing"))
        return
    await show(message, screens.forget_question(tr, ACTIONS))


async def forget_button(query: CallbackQuery, tr: Texts) -> None:
    await show(query, screens.forget_question(tr, ACTIONS))


async def forget_confirmed(query: CallbackQuery, state: FSMContext, tr: Texts,
                           session: AsyncSession, resident: Resident | None,
                           profile_rules: ProfileRules) -> None:
    if resident is not None:
        await profile.forget(session, resident, phone_secret=profile_rules.phone_secret)
    await state.clear()
    await show(query, screens.notice(tr, "forget.done"))


def router() -> Router:
    erase = Router(name="forget")
    erase.message.register(forget_command, Command("forget"))
    erase.callback_query.register(forget_button, SettingsCB.filter(
        F.action == SettingsAction.FORGET))
    erase.callback_query.register(forget_confirmed, SettingsCB.filter(
        F.action == SettingsAction.FORGET_YES))
    return erase
