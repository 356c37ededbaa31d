"""`/subscriptions`: the topics a resident follows, toggled in place, and the offer of the
popular topics at the end of onboarding."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.core import MainMenu, MenuCB, show_main_menu
from handlers.events import screens
from handlers.events.callbacks import ACTIONS, SubAction, SubCB
from handlers.kit.show import show
from handlers.profile import on_resume
from services.errors import InvalidInput
from services.events import subscriptions
from services.i18n import Texts
from services.models import Resident


async def show_topics(event: Message | CallbackQuery, session: AsyncSession, tr: Texts,
                      resident: Resident) -> None:
    followed = await subscriptions.topics_of(session, resident.id)
    await show(event, screens.topics_screen(tr, followed, ACTIONS))


async def topics_command(message: Message, session: AsyncSession, tr: Texts,
                         resident: Resident | None) -> None:
    if resident is None:
        await show(message, screens.need_consent_screen(tr, ACTIONS))
        return
    await show_topics(message, session, tr, resident)


async def topics_screen(query: CallbackQuery, session: AsyncSession, tr: Texts,
                        resident: Resident | None) -> None:
    if resident is None:
        await show(query, screens.need_consent_screen(tr, ACTIONS))
        return
    await show_topics(query, session, tr, resident)


async def toggle_topic(query: CallbackQuery, callback_data: SubCB, session: AsyncSession,
                       tr: Texts, resident: Resident | None,
                       callback_answer: CallbackAnswer) -> None:
    if resident is None:
        await show(query, screens.need_consent_screen(tr, ACTIONS))
        return
    topic = callback_data.topic
    if topic is None:
        raise InvalidInput("subscriptions.topic_unknown")
    now_on = await subscriptions.toggle(session, resident.id, topic)
    callback_answer.text = tr(
        "subscriptions.toggled_on" if now_on else "subscriptions.toggled_off",
        name=subscriptions.topic_name(tr, topic),
    )
    await show_topics(query, session, tr, resident)


# ---- the offer at the end of onboarding -------------------------------------------------------
@on_resume("onboarded")
async def after_onboarding(message: Message, resident: Resident, tr: Texts,
                           session: AsyncSession, main_menu: MainMenu, **_: Any) -> None:
    """A new resident is offered the popular topics; one who already chose goes to the menu."""
    if await subscriptions.topics_of(session, resident.id):
        await show_main_menu(message, tr, resident, main_menu)
    else:
        await offer_topics(message, resident, tr)


async def offer_topics(message: Message, resident: Resident, tr: Texts) -> None:
    """Offer the popular topics to a resident who has just finished onboarding."""
    await show(message, screens.offer_screen(tr, ACTIONS))


async def take_popular(query: CallbackQuery, session: AsyncSession, tr: Texts,
                       resident: Resident | None) -> None:
    if resident is None:
        await show(query, screens.need_consent_screen(tr, ACTIONS))
        return
    await subscriptions.subscribe_popular(session, resident.id)
    await show(query, screens.popular_done_screen(tr, ACTIONS))


async def skip_offer(query: CallbackQuery, tr: Texts, resident: Resident | None,
                     main_menu: MainMenu) -> None:
    """"Not now" leads on to the menu itself, not to a lone button that opens it."""
    await show(query, screens.skipped_screen(tr, resident, main_menu.rows(tr)))


def router() -> Router:
    topics = Router(name="subscriptions-topics")
    topics.message.register(topics_command, Command("subscriptions"))
    topics.callback_query.register(topics_screen, MenuCB.filter(F.section == "subscriptions"))
    topics.callback_query.register(topics_screen, SubCB.filter(F.action == SubAction.SHOW))
    topics.callback_query.register(toggle_topic, SubCB.filter(F.action == SubAction.TOGGLE))
    topics.callback_query.register(take_popular, SubCB.filter(F.action == SubAction.POPULAR))
    topics.callback_query.register(skip_offer, SubCB.filter(F.action == SubAction.SKIP))
    return topics
