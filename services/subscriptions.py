"""Old import path of the topics a resident follows: now services/events/subscriptions.py."""

from services.events.subscriptions import (
    ALL_TOPICS,
    parse_topic,
    subscribe,
    subscribe_popular,
    subscriber_ids,
    toggle,
    topic_name,
    topics_of,
    unsubscribe,
)

__all__ = ["ALL_TOPICS", "parse_topic", "subscribe", "subscribe_popular", "subscriber_ids",
           "toggle", "topic_name", "topics_of", "unsubscribe"]
