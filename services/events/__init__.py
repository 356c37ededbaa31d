"""Subscriptions + events: the topics a resident follows, council events and their reminders.

`models` (tables), `rules` (EventRules), `subscriptions` (topics followed, who follows a topic),
`validation` (what a press officer types), `manage` (create, change, cancel, list, "remind
me"), `reminders` (the announcement, reminders, changes, cancellations: see REMINDER_TASK),
`drafting` (the press dialogs' drafts). The names below are the feature's public API.
"""

# The core tables first: the modules below import them, and services.models imports ours.
import services.models  # noqa: F401
from services.events.drafting import (
    EDITABLE_FIELDS,
    draft_kind,
    draft_starts_at,
    draft_step,
    draft_title,
    draft_url,
    file_draft,
    get_edit,
    start_draft,
    start_edit,
    submit_draft,
    submit_edit,
)
from services.events.manage import (
    cancel_event,
    create_event,
    get_event,
    has_reminder,
    remind_me,
    upcoming,
    update_event,
)
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
from services.events.reminders import (
    AHEAD_MIN_LEAD,
    REMINDER_STAGES,
    REMINDER_TASK,
    URGENT_CHANGE_WINDOW,
    planned_reminders,
    reminder_task,
    reminders_queued,
    reminders_text,
    send_reminder,
    told_count,
)
from services.events.rules import EventRules
from services.events.validation import (
    example_time,
    parse_kind,
    parse_starts_at,
    validate_place,
    validate_title,
    validate_url,
)

__all__ = [
    "AHEAD_MIN_LEAD",
    "EDITABLE_FIELDS",
    "POPULAR_TOPICS",
    "REMINDER_STAGES",
    "REMINDER_TASK",
    "URGENT_CHANGE_WINDOW",
    "Event",
    "EventKind",
    "EventNotified",
    "EventReminderRequest",
    "EventRules",
    "EventStatus",
    "Subscription",
    "Topic",
    "cancel_event",
    "create_event",
    "draft_kind",
    "draft_starts_at",
    "draft_step",
    "draft_title",
    "draft_url",
    "example_time",
    "file_draft",
    "get_edit",
    "get_event",
    "has_reminder",
    "parse_kind",
    "parse_starts_at",
    "planned_reminders",
    "remind_me",
    "reminder_task",
    "reminders_queued",
    "reminders_text",
    "send_reminder",
    "start_draft",
    "start_edit",
    "submit_draft",
    "submit_edit",
    "told_count",
    "upcoming",
    "update_event",
    "validate_place",
    "validate_title",
    "validate_url",
]
