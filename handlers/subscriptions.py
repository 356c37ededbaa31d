"""`/subscriptions` (topics toggled in place) and `/events` (upcoming events, "remind me")."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.ids import RowId, SmallNumber
from handlers.menu import MainMenu, MenuCB, main_menu_text, menu_button, show_main_menu
from handlers.onboarding import on_resume
from handlers.press_callbacks import manage_buttons
from handlers.ui import show
from services import events, subscriptions
from services.i18n import Raw, Texts
from services.models import Event, Resident, Role, Topic
from services.models.broadcasts import POPULAR_TOPICS
from services.timeutil import format_datetime

router = Router(name="subscriptions")

PAGE_SIZE = 5


class SubCB(CallbackData, prefix="sub"):
    action: str  # show | toggle | popular | skip
    topic: str = ""


class EventCB(CallbackData, prefix="ev"):
    action: str  # list | remind
    event_id: RowId = 0
    page: SmallNumber = 0


def topic_name(tr: Texts, topic: Topic) -> str:
    return tr(f"subscriptions.topic.{topic.value}")


def subscriptions_markup(tr: Texts, followed: set[Topic]) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(
            text=tr("subscriptions.on" if topic in followed else "subscriptions.off",
                    name=topic_name(tr, topic)),
            callback_data=SubCB(action="toggle", topic=topic.value).pack(),
        )]
        for topic in subscriptions.ALL_TOPICS
    ]
    rows.append([InlineKeyboardButton(text=tr("subscriptions.events_button"),
                                      callback_data=EventCB(action="list").pack())])
    rows.append([menu_button(tr)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def show_subscriptions(event: Message | CallbackQuery, session: AsyncSession, tr: Texts,
                             resident: Resident) -> None:
    followed = await subscriptions.topics_of(session, resident.id)
    await show(event, tr("subscriptions.title"), subscriptions_markup(tr, followed))


async def _no_resident(event: Message | CallbackQuery, tr: Texts) -> None:
    await show(event, tr("subscriptions.need_consent"),
               InlineKeyboardMarkup(inline_keyboard=[[menu_button(tr)]]))


@router.message(Command("subscriptions"))
async def subscriptions_command(message: Message, session: AsyncSession, tr: Texts,
                                resident: Resident | None) -> None:
    if resident is None:
        await _no_resident(message, tr)
        return
    await show_subscriptions(message, session, tr, resident)


@router.callback_query(MenuCB.filter(F.section == "subscriptions"))
@router.callback_query(SubCB.filter(F.action == "show"))
async def subscriptions_screen(query: CallbackQuery, session: AsyncSession, tr: Texts,
                               resident: Resident | None) -> None:
    if resident is None:
        await _no_resident(query, tr)
        return
    await show_subscriptions(query, session, tr, resident)


@router.callback_query(SubCB.filter(F.action == "toggle"))
async def toggle_topic(query: CallbackQuery, callback_data: SubCB, session: AsyncSession,
                       tr: Texts, resident: Resident | None,
                       callback_answer: CallbackAnswer) -> None:
    if resident is None:
        await _no_resident(query, tr)
        return
    topic = subscriptions.parse_topic(callback_data.topic)
    now_on = await subscriptions.toggle(session, resident.id, topic)
    callback_answer.text = tr(
        "subscriptions.toggled_on" if now_on else "subscriptions.toggled_off",
        name=topic_name(tr, topic),
    )
    await show_subscriptions(query, session, tr, resident)


# ---- the offer at the end of onboarding -------------------------------------------------------
def _popular_names(tr: Texts) -> str:
    return ", ".join(topic_name(tr, t) for t in POPULAR_TOPICS)


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
    await message.answer(
        tr("subscriptions.offer", topics=_popular_names(tr)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(text=tr("subscriptions.offer_popular"),
                                  callback_data=SubCB(action="popular").pack())],
            [InlineKeyboardButton(text=tr("subscriptions.offer_choose"),
                                  callback_data=SubCB(action="show").pack())],
            [InlineKeyboardButton(text=tr("subscriptions.offer_skip"),
                                  callback_data=SubCB(action="skip").pack())],
        ]),
    )


@router.callback_query(SubCB.filter(F.action == "popular"))
async def take_popular(query: CallbackQuery, session: AsyncSession, tr: Texts,
                       resident: Resident | None) -> None:
    if resident is None:
        await _no_resident(query, tr)
        return
    await subscriptions.subscribe_popular(session, resident.id)
    await show(query, tr("subscriptions.popular_done", topics=_popular_names(tr)),
               InlineKeyboardMarkup(inline_keyboard=[
                   [InlineKeyboardButton(text=tr("subscriptions.offer_choose"),
                                         callback_data=SubCB(action="show").pack())],
                   [menu_button(tr)],
               ]))


@router.callback_query(SubCB.filter(F.action == "skip"))
async def skip_offer(query: CallbackQuery, tr: Texts, resident: Resident | None,
                     main_menu: MainMenu) -> None:
    """"Not now" leads on to the menu itself, not to a lone button that opens it."""
    await show(query, tr("subscriptions.skipped") + "\n\n" + main_menu_text(tr, resident),
               main_menu.markup(tr))


# ---- upcoming events ------------------------------------------------------------------------
def event_card(tr: Texts, event: Event) -> str:
    """One event as residents see it (kind, title, time, place, link)."""
    text = tr(
        "events.item",
        kind=tr(f"events.kind.{event.kind}"),
        title=event.title,
        when=format_datetime(event.starts_at),
        place=event.place or tr("events.place_none"),
    )
    if event.stream_url:
        text += "\n" + tr("events.item_link", url=event.stream_url)
    return text


def _short(title: str, limit: int = 28) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "…"


async def show_events(event: Message | CallbackQuery, session: AsyncSession, tr: Texts,
                      page: int, roles: frozenset[Role]) -> None:
    items, total = await events.upcoming(session, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    back = [InlineKeyboardButton(text=tr("events.back_to_subscriptions"),
                                 callback_data=SubCB(action="show").pack()), menu_button(tr)]
    if not items:
        await show(event, tr("events.list_empty"), InlineKeyboardMarkup(inline_keyboard=[back]))
        return
    text = tr("events.list_title", page=page + 1, pages=pages) + "\n\n" + "\n\n".join(
        event_card(tr, e) for e in items
    )
    rows = [
        # Button labels and alerts are plain text (no HTML parsing): the title goes in as is.
        [InlineKeyboardButton(text=tr("events.remind_button", title=Raw(_short(e.title))),
                              callback_data=EventCB(action="remind", event_id=e.id,
                                                    page=page).pack())]
        for e in items
    ]
    if Role.PRESS in roles:
        rows += manage_buttons(tr, items)
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(text=tr("events.page_prev"),
                                        callback_data=EventCB(action="list", page=page - 1).pack()))
    if page + 1 < pages:
        nav.append(InlineKeyboardButton(text=tr("events.page_next"),
                                        callback_data=EventCB(action="list", page=page + 1).pack()))
    if nav:
        rows.append(nav)
    rows.append(back)
    await show(event, Raw(text), InlineKeyboardMarkup(inline_keyboard=rows))


@router.message(Command("events"))
async def events_command(message: Message, session: AsyncSession, tr: Texts,
                         roles: frozenset[Role]) -> None:
    await show_events(message, session, tr, 0, roles)


@router.callback_query(EventCB.filter(F.action == "list"))
async def events_page(query: CallbackQuery, callback_data: EventCB, session: AsyncSession,
                      tr: Texts, roles: frozenset[Role]) -> None:
    await show_events(query, session, tr, max(callback_data.page, 0), roles)


@router.callback_query(EventCB.filter(F.action == "remind"))
async def remind_me(query: CallbackQuery, callback_data: EventCB, session: AsyncSession,
                    tr: Texts, resident: Resident | None,
                    callback_answer: CallbackAnswer) -> None:
    if resident is None:
        await _no_resident(query, tr)
        return
    event = await events.get_event(session, callback_data.event_id)
    added = await events.remind_me(session, event.id, resident.id)
    callback_answer.text = (tr("events.remind_set", title=Raw(event.title)) if added
                            else tr("events.remind_already"))
