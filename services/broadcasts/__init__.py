"""Press broadcasts: audience, enqueueing in resumable chunks, progress, cancel, history.

`models` (the table), `rules` (BroadcastRules), `validation` (what the officer types),
`audience` (who it reaches), `sending` (store, enqueue chunk by chunk: see START_TASK),
`drafting` (the composing dialog's draft), `progress` (figures, cancel, history, the final
report). The names below are the feature's public API.
"""

# The core tables first: the modules below import them, and services.models imports ours.
import services.models  # noqa: F401
from services.broadcasts.audience import (
    Audience,
    ViberShare,
    audience_rows,
    count_audience,
    has_audience,
    viber_share,
)
from services.broadcasts.drafting import (
    discard_draft,
    draft_audience,
    draft_district,
    draft_schedule,
    draft_scheduled_at,
    draft_step,
    draft_text,
    draft_toggle_urgent,
    draft_topic,
    get_draft,
    send_draft,
    start_draft,
    text_fields,
    topic_fields,
)
from services.broadcasts.models import Broadcast, BroadcastStatus
from services.broadcasts.progress import (
    Progress,
    cancel,
    finish_broadcasts,
    finish_job,
    history,
    progress,
    report_text,
    running,
)
from services.broadcasts.rules import BroadcastRules
from services.broadcasts.sending import (
    START_TASK,
    _enqueue_chunk,
    create_broadcast,
    enqueue,
    get_broadcast,
    start,
    start_job,
)
from services.broadcasts.validation import PHOTO_CAPTION_MAX, validate_district, validate_text

__all__ = [
    "PHOTO_CAPTION_MAX",
    "START_TASK",
    "Audience",
    "Broadcast",
    "BroadcastRules",
    "BroadcastStatus",
    "Progress",
    "ViberShare",
    "_enqueue_chunk",
    "audience_rows",
    "cancel",
    "count_audience",
    "create_broadcast",
    "discard_draft",
    "draft_audience",
    "draft_district",
    "draft_schedule",
    "draft_scheduled_at",
    "draft_step",
    "draft_text",
    "draft_toggle_urgent",
    "draft_topic",
    "enqueue",
    "finish_broadcasts",
    "finish_job",
    "get_broadcast",
    "get_draft",
    "has_audience",
    "history",
    "progress",
    "report_text",
    "running",
    "send_draft",
    "start",
    "start_draft",
    "start_job",
    "text_fields",
    "topic_fields",
    "validate_district",
    "validate_text",
    "viber_share",
]
