"""The subscriptions + events feature: topics to follow, the upcoming events and "remind me",
and for the press service creating, changing and cancelling events.

`callbacks` (the buttons), `screens` (what is shown, no aiogram), `topics` (/subscriptions and
the onboarding offer), `listing` (/events), `creating` (the new-event wizard), `admin` (one
event for the press service). The feature keeps the name "subscriptions": its menu section,
router and texts are called so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import Router

from handlers.events import admin, creating, listing, topics
from handlers.events.callbacks import EventAdminCB, EventCB, SubCB
from handlers.events.screens import event_card
from handlers.events.topics import offer_topics
from handlers.kit.aiogram_filters import HasRole
from handlers.kit.feature import Command, Feature, MenuEntry, Task
from services import events
from services.events import EventRules
from services.events.subscriptions import topic_name
from services.models import Role

__all__ = ["EventAdminCB", "EventCB", "SubCB", "event_card", "feature", "offer_topics",
           "topic_name"]


def event_rules(values: Any) -> EventRules:
    return EventRules(reminder_hours=values.event_reminder_hours)


def routers() -> Sequence[Router]:
    """Residents' topics and events; the press service's part behind its role."""
    press = Router(name="subscriptions-press")
    press.message.filter(HasRole(Role.PRESS))
    press.callback_query.filter(HasRole(Role.PRESS))
    press.include_routers(creating.router(), admin.router())
    feature_router = Router(name="subscriptions")
    feature_router.include_routers(topics.router(), listing.router(), press)
    return (feature_router,)


feature = Feature(
    name="subscriptions",
    routers=routers,
    menu=MenuEntry("subscriptions", order=50),
    commands=(Command("subscriptions", order=50), Command("events", order=60),
              Command("event_new", staff=Role.PRESS, order=230)),
    jobs=(Task(events.REMINDER_TASK, events.reminder_task),),
    settings=event_rules,
)
