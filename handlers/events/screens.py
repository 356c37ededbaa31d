"""The events feature's screens, built from plain values: topics, the onboarding offer, the
upcoming events, one event for the press service, and the press dialogs' questions.

No aiogram here: the buttons' actions come from `acts` (handlers/events/callbacks.Actions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handlers.core.screens import main_menu_text
from handlers.kit.keyboard import Keyboard
from handlers.kit.pager import PageWindow, pager_row
from handlers.kit.screen import Button, Rows, Screen
from services.events import POPULAR_TOPICS, Event, EventRules, Topic, reminders_text
from services.events.subscriptions import ALL_TOPICS, topic_name
from services.i18n import Raw, Texts
from services.models import Resident
from services.timeutil import format_datetime

if TYPE_CHECKING:
    from handlers.events.callbacks import Actions

PAGE_SIZE = 5


# ---- subscriptions --------------------------------------------------------------------------
def topics_screen(tr: Texts, followed: set[Topic], acts: Actions) -> Screen:
    """Every topic with its on/off mark (a press flips it in place)."""
    keyboard = Keyboard()
    for topic in ALL_TOPICS:
        key = "subscriptions.on" if topic in followed else "subscriptions.off"
        keyboard.row(Button(tr(key, name=topic_name(tr, topic)), acts.toggle(topic)))
    keyboard.row(Button(tr("subscriptions.events_button"), acts.events()))
    return Screen(tr("subscriptions.title"), keyboard.menu(acts.menu(), tr).build())


def need_consent_screen(tr: Texts, acts: Actions) -> Screen:
    return Screen(tr("subscriptions.need_consent"), Keyboard().menu(acts.menu(), tr).build())


def popular_names(tr: Texts) -> str:
    return ", ".join(topic_name(tr, t) for t in POPULAR_TOPICS)


def offer_screen(tr: Texts, acts: Actions) -> Screen:
    """At the end of onboarding: the popular topics, choosing, or not now."""
    return Screen(tr("subscriptions.offer", topics=popular_names(tr)), (
        (Button(tr("subscriptions.offer_popular"), acts.popular()),),
        (Button(tr("subscriptions.offer_choose"), acts.topics()),),
        (Button(tr("subscriptions.offer_skip"), acts.skip()),),
    ))


def popular_done_screen(tr: Texts, acts: Actions) -> Screen:
    return Screen(tr("subscriptions.popular_done", topics=popular_names(tr)), (
        (Button(tr("subscriptions.offer_choose"), acts.topics()),),
        (Button(tr("menu.back_to_menu"), acts.menu()),),
    ))



def skipped_screen(tr: Texts, resident: Resident | None, menu_rows: Rows) -> Screen:
    """"Not now" leads on to the menu itself, not to a lone button that opens it."""
    return Screen(tr("subscriptions.skipped") + "\n\n" + main_menu_text(tr, resident), menu_rows)


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


def events_screen(tr: Texts, items: Sequence[Event], total: int, page: int, *, press: bool,
                  acts: Actions) -> Screen:
    """A page of upcoming events with "remind me" (and, for press staff, "manage") buttons."""
    back = (Button(tr("events.back_to_subscriptions"), acts.topics()),
            Button(tr("menu.back_to_menu"), acts.menu()))
    if not items:
        return Screen(tr("events.list_empty"), (back,))
    window = PageWindow.from_total(page, total, PAGE_SIZE)
    text = tr("events.list_title", page=page + 1, pages=window.pages) + "\n\n" + "\n\n".join(
        event_card(tr, e) for e in items)
    keyboard = Keyboard()
    for e in items:
        # Button labels and alerts are plain text (no HTML parsing): the title goes in as is.
        keyboard.row(Button(tr("events.remind_button", title=Raw(_short(e.title))),
                            acts.remind(e.id, page)))
    if press:
        for e in items:
            keyboard.row(Button(tr("press.event.manage_button", title=Raw(e.title[:28])),
                                acts.manage(e.id)))
    keyboard.row(*pager_row(window, acts.events, tr))
    return Screen(text, keyboard.row(*back).build())


# ---- one event, for the press service --------------------------------------------------------
def _back_to_list(tr: Texts, acts: Actions) -> tuple[Button, ...]:
    return (Button(tr("press.back"), acts.events()), Button(tr("menu.back_to_menu"), acts.menu()))


def event_rows(tr: Texts, event: Event, acts: Actions) -> Rows:
    """Change a field, cancel the event, or go back to the list."""
    def edit(key: str, field: str) -> Button:
        return Button(tr(key), acts.edit(event.id, field))

    return (
        (edit("press.event.edit_title", "title"), edit("press.event.edit_time", "starts_at")),
        (edit("press.event.edit_url", "stream_url"), edit("press.event.edit_place", "place")),
        (Button(tr("press.event.cancel_button"), acts.cancel(event.id)),),
        _back_to_list(tr, acts),
    )


def manage_screen(tr: Texts, event: Event, acts: Actions) -> Screen:
    return Screen(event_card(tr, event), event_rows(tr, event, acts))


@dataclass(frozen=True, slots=True)
class Filed:
    """A new event and what its author is told about it."""

    event: Event
    told: int
    stages: tuple[str, ...]


def created_screen(tr: Texts, filed: Filed, rules: EventRules, acts: Actions) -> Screen:
    told = (tr("press.event.told", count=filed.told) if filed.told
            else tr("press.event.told_none"))
    return Screen(tr("press.event.created", card=Raw(event_card(tr, filed.event)), told=told,
                     reminders=reminders_text(tr, filed.stages, rules,
                                              prefix="press.event.reminders")),
                  event_rows(tr, filed.event, acts))


def updated_screen(tr: Texts, event: Event, acts: Actions) -> Screen:
    return Screen(tr("press.event.updated", card=Raw(event_card(tr, event))),
                  event_rows(tr, event, acts))


def cancel_confirm_screen(tr: Texts, event: Event, acts: Actions) -> Screen:
    return Screen(tr("press.event.cancel_confirm", title=event.title), (
        (Button(tr("press.event.cancel_yes"), acts.cancel_yes(event.id)),),
        (Button(tr("press.back"), acts.manage(event.id)),),
    ))


def cancelled_screen(tr: Texts, acts: Actions) -> Screen:
    return Screen(tr("press.event.cancelled_done"), (_back_to_list(tr, acts),))


def aborted_screen(tr: Texts, acts: Actions) -> Screen:
    """A press dialog left: nothing is kept."""
    return Screen(tr("press.event.aborted"), Keyboard().menu(acts.menu(), tr).build())


def edit_screen(tr: Texts, question: str, acts: Actions, reason: str = "") -> Screen:
    """The question for a new value of one field (the creating dialog's, numbered as there)."""
    text = (reason + "\n\n" if reason else "") + tr("press.event.edit_ask") + "\n" + question
    return Screen(text, ((Button(tr("press.event.abort"), acts.abort_edit()),),))
