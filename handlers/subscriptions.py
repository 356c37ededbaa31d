"""Old import path of the subscriptions + events feature: now the package handlers/events."""

from handlers.events import EventCB, SubCB, event_card, offer_topics, topic_name

__all__ = ["EventCB", "SubCB", "event_card", "offer_topics", "topic_name"]
