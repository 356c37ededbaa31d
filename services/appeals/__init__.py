"""Citizens' appeals from filing to the answer, on the deadlines of Law No. 393/96.

Art. 3 (proposal / application / complaint), Art. 5 (name, address, essence; a non-compliant
appeal is returned with the reason within 10 days), Art. 8 (anonymous ones are not considered),
Art. 20 (30 days, 15 when simple, one extension never past 45 days in total).

`rules` (the settings section), `models`, `validation`, `drafts`, `numbering`, `registration`,
`queries` (reading, the staff queue), `views` (who sees what), `supporters`, `duplicates`
(offered before filing, support instead), `status` (the machine), `notifications` (history
and outbox, in the same transaction), `moderation` (the staff actions), `followup`, `digest`,
`export`, `figures` (statistics), `jobs`, `labels`. Every public name is re-exported
here: `appeals.<name>`.

At load time this package imports services.models only (every table, `models` included):
services.models imports `models` while it loads, and the other modules need it complete, so
a name here is looked up in them on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import services.models  # noqa: F401  (every table, this package's `models` included)

if TYPE_CHECKING:
    from services.appeals.digest import DIGEST_LINES, due_soon, send_digest
    from services.appeals.drafts import (
        NO_DRAFT,
        add_draft_file,
        discard_draft,
        get_draft,
        start_draft,
        tell_file_limit,
        update_draft,
    )
    from services.appeals.duplicates import (
        OFFERED_KEY,
        add_support,
        offer_duplicates,
        possible_duplicates,
    )
    from services.appeals.export import EXPORT_COLUMNS, export_csv
    from services.appeals.figures import AppealStats, stats
    from services.appeals.followup import (
        FOLLOWUP_PRESS,
        FOLLOWUP_TASK,
        ask_followup,
        followup_reply,
        may_comment,
        rate,
    )
    from services.appeals.jobs import DIGEST_JOB, digest_job, followup_task
    from services.appeals.labels import category_label, department_label, status_label, type_label
    from services.appeals.models import (
        Appeal,
        AppealAttachment,
        AppealDraft,
        AppealEvent,
        AppealStatus,
        AppealSupporter,
        AppealType,
        AttachmentKind,
    )
    from services.appeals.moderation import (
        answer,
        assign,
        check_extension,
        check_returnable,
        extend,
        mark_simple,
        merge,
        merge_target,
        return_appeal,
        set_status,
    )
    from services.appeals.numbering import (
        NUMBER_PREFIX,
        answered_on_time,
        days_taken,
        deadline_for,
        extension_deadline,
        format_number,
        latest_deadline,
    )
    from services.appeals.queries import (
        Page,
        QueueGroup,
        card_for,
        find_by_number,
        get,
        history,
        my_appeals,
        queue,
        queue_summary,
        source_petition,
    )
    from services.appeals.registration import register, register_from_petition, submit_draft
    from services.appeals.rules import DEFAULT_MIMES, AppealRules, parse_bbox
    from services.appeals.status import (
        MANUAL_STATUSES,
        OPEN_STATUSES,
        TRANSITIONS,
        can_move,
        is_open,
    )
    from services.appeals.supporters import is_supporter, supporters_count
    from services.appeals.validation import (
        FileInfo,
        parse_date,
        require_author,
        validate_address,
        validate_category,
        validate_department,
        validate_file,
        validate_location,
        validate_reason,
        validate_text,
        validate_type,
    )
    from services.appeals.views import AppealView, Audience, HistoryEntry, view_for

# Where `__getattr__` looks, in this order (the first module holding the name wins).
_MODULES = ("rules", "models", "labels", "numbering", "validation", "drafts", "views",
            "supporters", "status", "notifications", "queries", "duplicates", "registration",
            "followup", "moderation", "digest", "export", "figures", "jobs")

__all__ = [
    "DEFAULT_MIMES", "DIGEST_JOB", "DIGEST_LINES", "EXPORT_COLUMNS", "FOLLOWUP_PRESS",
    "FOLLOWUP_TASK", "MANUAL_STATUSES", "NO_DRAFT", "NUMBER_PREFIX", "OFFERED_KEY",
    "OPEN_STATUSES", "TRANSITIONS",
    "Appeal", "AppealAttachment", "AppealDraft", "AppealEvent", "AppealRules", "AppealStats",
    "AppealStatus", "AppealSupporter", "AppealType", "AppealView", "AttachmentKind",
    "Audience", "FileInfo", "HistoryEntry", "Page", "QueueGroup",
    "add_draft_file", "add_support", "answer", "answered_on_time", "ask_followup", "assign",
    "can_move", "card_for", "category_label", "check_extension", "check_returnable",
    "days_taken", "deadline_for", "department_label", "digest_job", "discard_draft",
    "due_soon", "export_csv", "extend", "extension_deadline", "find_by_number",
    "followup_reply", "followup_task", "format_number", "get",
    "get_draft", "history", "is_open", "is_supporter", "latest_deadline", "mark_simple",
    "may_comment", "merge", "merge_target", "my_appeals", "offer_duplicates", "parse_bbox",
    "parse_date", "possible_duplicates", "queue", "queue_summary", "rate", "register",
    "register_from_petition", "require_author", "return_appeal", "send_digest", "set_status",
    "source_petition", "start_draft", "stats", "status_label", "submit_draft",
    "supporters_count", "tell_file_limit", "type_label", "update_draft", "validate_address",
    "validate_category", "validate_department", "validate_file", "validate_location",
    "validate_reason", "validate_text", "validate_type", "view_for",
]


def __getattr__(name: str) -> Any:
    """`appeals.<name>`: found in the feature's modules, imported on first use."""
    if name in __all__:
        for module_name in _MODULES:
            module = importlib.import_module(f"{__name__}.{module_name}")
            if name in vars(module):
                value = vars(module)[name]
                globals()[name] = value
                return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
