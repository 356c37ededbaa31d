"""Help, cancel, domain errors, unexpected errors, and the fallback for anything unknown."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, ExceptionTypeFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ChatMemberUpdated, ErrorEvent, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.core import screens
from handlers.core.callbacks import MAIN_MENU
from handlers.core.menu import MainMenu
from handlers.kit.screen import Screen
from handlers.kit.show import show
from services import residents
from services.errors import DomainError
from services.i18n import Texts, Translator, normalize_language
from services.models import Channel

log = logging.getLogger(__name__)


async def help_command(message: Message, tr: Texts) -> None:
    await show(message, screens.help_screen(tr, MAIN_MENU))


async def cancel(message: Message, state: FSMContext, tr: Texts, main_menu: MainMenu) -> None:
    language = (await state.get_data()).get("language")
    had_dialog = await state.get_state() is not None
    await state.clear()
    if language:
        await state.update_data(language=language)
    await show(message, screens.cancelled(tr, had_dialog))
    await show(message, screens.anonymous_menu(tr, main_menu.rows(tr)))


async def membership_changed(event: ChatMemberUpdated, session: AsyncSession) -> None:
    """Blocking the bot makes a resident unreachable; unblocking brings them back."""
    if event.chat.type != "private":
        return
    reachable = event.new_chat_member.status not in {"kicked", "left"}
    await residents.set_reachable(session, Channel.TELEGRAM, str(event.chat.id), reachable)


async def unknown_command(message: Message, tr: Texts) -> None:
    await show(message, Screen(tr("common.unknown_command")))


async def unknown_message(message: Message, tr: Texts, main_menu: MainMenu) -> None:
    await show(message, screens.unknown_message(tr, main_menu.rows(tr)))


async def stale_button(query: CallbackQuery, tr: Texts, callback_answer: CallbackAnswer) -> None:
    callback_answer.text = tr("common.stale_button")
    callback_answer.show_alert = True


def _texts_for(event: ErrorEvent, data: dict[str, Any]) -> Texts:
    tr = data.get("tr")
    if isinstance(tr, Texts):
        return tr
    translator: Translator = data["translator"]
    user = data.get("event_from_user")
    return translator.for_language(normalize_language(getattr(user, "language_code", None)))


async def _reply(event: ErrorEvent, text: str) -> None:
    update = event.update
    if update.callback_query is not None:
        await update.callback_query.answer(text[:190], show_alert=True)
    elif update.message is not None:
        await update.message.answer(text)


async def domain_error(event: ErrorEvent, **data: Any) -> None:
    """A rule said no: tell the person why, politely, in their language."""
    assert isinstance(event.exception, DomainError)
    tr = _texts_for(event, data)
    await _reply(event, tr(event.exception.message_key, **event.exception.params))


async def unexpected_error(event: ErrorEvent, **data: Any) -> None:
    """Log with the update id, apologise briefly, and let the polling loop carry on."""
    log.error("update %s failed", event.update.update_id, exc_info=event.exception)
    try:
        await _reply(event, _texts_for(event, data)("error.unexpected"))
    except Exception:
        log.warning("could not apologise for update %s", event.update.update_id, exc_info=True)


def router() -> Router:
    """Included first: commands that must work in every state, and the error handlers."""
    common = Router(name="common")
    common.message.register(help_command, Command("help"))
    common.message.register(cancel, Command("cancel"))
    common.my_chat_member.register(membership_changed)
    common.errors.register(domain_error, ExceptionTypeFilter(DomainError))
    common.errors.register(unexpected_error)
    return common


def fallback_router() -> Router:
    """Included last: answers what nobody else did."""
    fallback = Router(name="fallback")
    fallback.message.register(unknown_command, F.text.startswith("/"))
    fallback.message.register(unknown_message)
    fallback.callback_query.register(stale_button)
    return fallback
