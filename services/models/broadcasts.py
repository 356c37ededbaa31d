"""Old import path of the subscriptions, events and broadcasts tables: they live in their
features now (services/events/models.py, services/broadcasts/models.py)."""

from services.broadcasts.models import Broadcast, BroadcastStatus
from services.events.models import (
    POPULAR_TOPICS,
    Event,
    EventKind,
    EventNotified,
    EventReminderRequest,
    EventStatus,
    Subscription,
    Topic,
)

__all__ = ["POPULAR_TOPICS", "Broadcast", "BroadcastStatus", "Event", "EventKind",
           "EventNotified", "EventReminderRequest", "EventStatus", "Subscription", "Topic"]
